import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RegistryAuth, authFileCandidates, findCredentials, parseWwwAuthenticate } from '../../../src/registry/auth.js';

describe('parseWwwAuthenticate', () => {
  it('parses a Docker Hub bearer challenge', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'))
      .toEqual([{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } }]);
  });

  it('keeps commas inside quoted values and unescapes quotes', () => {
    const [c] = parseWwwAuthenticate('Bearer realm="https://r/t", scope="repository:a:pull,push" , error="say \\"hi\\""');
    expect(c.params).toEqual({ realm: 'https://r/t', scope: 'repository:a:pull,push', error: 'say "hi"' });
  });

  it('parses Basic, unquoted values, case-insensitive names and several challenges in one header', () => {
    expect(parseWwwAuthenticate('Basic realm="Registry Realm"')).toEqual([{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
    expect(parseWwwAuthenticate('BASIC Realm=simple, Bearer realm="https://a/token",service=svc')).toEqual([
      { scheme: 'basic', params: { realm: 'simple' } },
      { scheme: 'bearer', params: { realm: 'https://a/token', service: 'svc' } },
    ]);
  });

  it('copes with empty and odd headers', () => {
    expect(parseWwwAuthenticate('')).toEqual([]);
    expect(parseWwwAuthenticate('Negotiate abc==, Bearer realm="x"').map(c => c.scheme)).toEqual(['negotiate', 'bearer']);
    expect(parseWwwAuthenticate('Bearer realm="unterminated')[0].params.realm).toBe('unterminated');
  });
});

describe('credentials from auth files', () => {
  let home: string;
  beforeAll(async () => { home = await mkdtemp(path.join(tmpdir(), 'racker-auth-')); });
  afterAll(async () => { await rm(home, { recursive: true, force: true }); });
  afterEach(async () => {
    await rm(path.join(home, 'h'), { recursive: true, force: true });
  });

  const b64 = (s: string) => Buffer.from(s).toString('base64');
  async function put(rel: string, content: unknown) {
    const file = path.join(home, 'h', rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  }
  const env = () => ({ HOME: path.join(home, 'h'), XDG_RUNTIME_DIR: path.join(home, 'h', 'run') });

  it('lists files in containers-auth.json order', () => {
    expect(authFileCandidates({ HOME: '/home/u', XDG_RUNTIME_DIR: '/run/user/1', REGISTRY_AUTH_FILE: '/x/auth.json' })).toEqual([
      '/x/auth.json', '/run/user/1/containers/auth.json', '/home/u/.config/containers/auth.json', '/home/u/.docker/config.json',
    ]);
  });

  it('finds nothing when no file exists', async () => {
    expect(await findCredentials('127.0.0.1:5000', 'a/b', env())).toBeUndefined();
  });

  it('reads the base64 auth field from ~/.docker/config.json, with docker.io aliases', async () => {
    await put('.docker/config.json', { auths: { 'https://index.docker.io/v1/': { auth: b64('hub:secret:with:colons') } } });
    expect(await findCredentials('docker.io', 'library/busybox', env())).toEqual({ username: 'hub', password: 'secret:with:colons' });
    expect(await findCredentials('quay.io', 'x', env())).toBeUndefined();
  });

  it('prefers the runtime auth.json, and the most specific repository entry', async () => {
    await put('.config/containers/auth.json', { auths: { 'reg.example:5000': { auth: b64('config:pw') } } });
    await put('run/containers/auth.json', { auths: {
      'reg.example:5000': { auth: b64('runtime:pw') },
      'reg.example:5000/team': { auth: b64('team:pw') },
    } });
    expect(await findCredentials('reg.example:5000', 'team/app', env())).toEqual({ username: 'team', password: 'pw' });
    expect(await findCredentials('reg.example:5000', 'other/app', env())).toEqual({ username: 'runtime', password: 'pw' });
  });

  it('REGISTRY_AUTH_FILE comes first; broken files and entries are skipped', async () => {
    const file = await put('custom.json', { auths: { 'reg.example': { auth: b64('no-colon') } } });
    await put('.config/containers/auth.json', '{not json');
    await put('.docker/config.json', { auths: { 'reg.example': { auth: b64('docker:pw') } } });
    expect(await findCredentials('reg.example', undefined, { ...env(), REGISTRY_AUTH_FILE: file })).toEqual({ username: 'docker', password: 'pw' });
    await put('custom.json', { auths: { 'reg.example': { auth: b64('custom:pw') } } });
    expect(await findCredentials('reg.example', undefined, { ...env(), REGISTRY_AUTH_FILE: file })).toEqual({ username: 'custom', password: 'pw' });
  });
});

describe('RegistryAuth against a token service', () => {
  let server: Server;
  let base: string;
  let home: string;
  const seen: IncomingMessage[] = [];
  let answer: (url: URL) => unknown = () => ({ token: 'tok-1' });

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'racker-auth-'));
    server = createServer((req, res) => {
      seen.push(req);
      const body = answer(new URL(req.url ?? '/', 'http://x'));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });
  afterAll(async () => {
    await new Promise(r => server.close(r));
    await rm(home, { recursive: true, force: true });
  });

  it('fetches an anonymous token once per scope and caches it', async () => {
    seen.length = 0;
    const auth = new RegistryAuth({ registry: 'reg.example', env: { HOME: home } });
    auth.setChallenges(parseWwwAuthenticate(`Bearer realm="${base}/token",service="reg.example"`));
    expect(await auth.authorization('repository:a:pull')).toBe('Bearer tok-1');
    expect(await auth.authorization('repository:a:pull')).toBe('Bearer tok-1');
    expect(seen.length).toBe(1);
    const q = new URL(seen[0].url ?? '', base).searchParams;
    expect(q.get('service')).toBe('reg.example');
    expect(q.get('scope')).toBe('repository:a:pull');
    expect(seen[0].headers.authorization).toBeUndefined();
    await auth.authorization('repository:b:pull');
    expect(seen.length).toBe(2);
    auth.invalidate('repository:a:pull');
    await auth.authorization('repository:a:pull');
    expect(seen.length).toBe(3);
  });

  it('accepts access_token, sends Basic credentials to the realm (insecure registry) and refuses garbage tokens', async () => {
    seen.length = 0;
    answer = () => ({ access_token: 'tok-2' });
    await mkdir(path.join(home, '.docker'), { recursive: true });
    await writeFile(path.join(home, '.docker', 'config.json'), JSON.stringify({ auths: { 'reg.example': { auth: Buffer.from('u:p').toString('base64') } } }));
    const auth = new RegistryAuth({ registry: 'reg.example', tlsVerify: false, env: { HOME: home } });
    auth.setChallenges(parseWwwAuthenticate(`Bearer realm="${base}/token"`));
    expect(await auth.authorization('repository:a:pull')).toBe('Bearer tok-2');
    expect(seen[0].headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);

    // over plain http to a verified registry, the password is not sent
    const strict = new RegistryAuth({ registry: 'reg.example', env: { HOME: home } });
    strict.setChallenges(parseWwwAuthenticate(`Bearer realm="${base}/token"`));
    await strict.authorization('repository:a:pull');
    expect(seen[1].headers.authorization).toBeUndefined();

    answer = () => ({ token: 'bad\r\nInjected: yes' });
    const evil = new RegistryAuth({ registry: 'reg.example', env: { HOME: home } });
    evil.setChallenges(parseWwwAuthenticate(`Bearer realm="${base}/token"`));
    await expect(evil.authorization('repository:a:pull')).rejects.toThrow(/no usable token/);
  });

  it('Basic challenges use stored credentials; no credentials means anonymous', async () => {
    const auth = new RegistryAuth({ registry: 'reg.example', env: { HOME: home } });
    auth.setChallenges(parseWwwAuthenticate('Basic realm="r"'));
    expect(await auth.authorization('repository:a:pull')).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    const anon = new RegistryAuth({ registry: 'other.example', env: { HOME: home } });
    anon.setChallenges(parseWwwAuthenticate('Basic realm="r"'));
    expect(await anon.authorization('repository:a:pull')).toBeUndefined();
  });

  it('refuses a realm that is not http(s)', async () => {
    const auth = new RegistryAuth({ registry: 'reg.example', env: { HOME: home } });
    auth.setChallenges(parseWwwAuthenticate('Bearer realm="file:///etc/passwd"'));
    await expect(auth.authorization('repository:a:pull')).rejects.toThrow(/unusable auth realm/);
  });
});
