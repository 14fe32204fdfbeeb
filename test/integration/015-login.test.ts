import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, copyFile, lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { RACKER, racker, tempRoot } from '../helpers/cli.js';
import { writeOciLayout } from '../helpers/oci-layout.js';
import { busyboxImage } from '../helpers/fixture-images.js';
import { pushLayout, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { makeTestCa, type TestCa } from '../helpers/test-ca.js';

// A registry behind a private CA that wants a login (htpasswd, bcrypt), and
// small hostile servers. The password must never reach argv, a child's
// environment, an output line or a host it was not meant for.

const USER = 'alice';
const PASSWORD = `pw-${process.pid}-Zq9xK`;

let work: string;
let ca: TestCa;
let reg: TestRegistry;
let certsDirs: string;
let t: Awaited<ReturnType<typeof tempRoot>>;
const servers: Server[] = [];

/** Environment for racker: our certs.d, and auth files only under `dir`. */
function envFor(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { RACKER_CERTS_DIRS: certsDirs, XDG_RUNTIME_DIR: dir, HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'config'), DOCKER_CONFIG: path.join(dir, 'docker'), REGISTRY_AUTH_FILE: '', ...extra };
}

async function freshDir(name: string): Promise<string> {
  const d = path.join(work, name);
  await mkdir(d, { recursive: true });
  return d;
}

const loginWith = (dir: string, password: string, args: string[] = [], extraEnv: Record<string, string> = {}) =>
  racker(t.root, ['login', '-u', USER, '--password-stdin', ...args, reg.host], { input: `${password}\n`, env: envFor(dir, extraEnv) });
const pullFrom = (dir: string, extraEnv: Record<string, string> = {}) =>
  racker(t.root, ['pull', '--force', `${reg.host}/private/busybox:latest`], { env: envFor(dir, extraEnv) });

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'racker-login-'));
  t = await tempRoot('login');
  ca = await makeTestCa(path.join(work, 'ca'));
  reg = await startRegistry({ tls: { cert: ca.serverCert, key: ca.serverKey }, users: { [USER]: PASSWORD } });
  certsDirs = path.join(work, 'certs.d');
  await mkdir(path.join(certsDirs, reg.host), { recursive: true });
  await copyFile(ca.caCert, path.join(certsDirs, reg.host, 'ca.crt'));
  const layout = path.join(work, 'layout');
  await writeOciLayout(layout, busyboxImage());
  const pushAuth = path.join(work, 'push-auth.json');
  await writeFile(pushAuth, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }), { mode: 0o600 });
  await pushLayout(reg, layout, 'latest', 'private/busybox:latest', { authfile: pushAuth });
});

afterAll(async () => {
  for (const s of servers) s.close();
  await reg?.stop();
  await t?.remove();
  await rm(work, { recursive: true, force: true });
});

describe('racker login / logout against a registry with htpasswd auth over TLS', () => {
  it('a wrong password is refused by the registry, and nothing is saved', async () => {
    const dir = await freshDir('wrong');
    const r = await loginWith(dir, 'not-the-password');
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain(`login to ${reg.host} failed`);
    expect(r.stderr + r.stdout).not.toContain('not-the-password');
    await expect(lstat(path.join(dir, 'containers', 'auth.json'))).rejects.toThrow(/ENOENT/);
  });

  it('a pull without a login is refused with a hint to log in', async () => {
    const r = await pullFrom(await freshDir('anon'));
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toMatch(/401|refused access/);
  });

  it('logs in, saves $XDG_RUNTIME_DIR/containers/auth.json with mode 0600 atomically, and pull uses it', async () => {
    const dir = await freshDir('ok');
    const r = await loginWith(dir, PASSWORD);
    expect(r.stderr).not.toContain('Error');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Login Succeeded');
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    const file = path.join(dir, 'containers', 'auth.json');
    expect((await lstat(file)).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(await readFile(file, 'utf8')) as { auths: Record<string, { auth: string }> };
    expect(Buffer.from(doc.auths[reg.host].auth, 'base64').toString()).toBe(`${USER}:${PASSWORD}`);
    expect((await readdir(path.dirname(file))).filter(n => n.endsWith('.tmp'))).toEqual([]);
    const pulled = await pullFrom(dir);
    expect(pulled.stderr).not.toContain('Error');
    expect(pulled.exitCode).toBe(0);
  });

  it('keeps the other registries\' entries and settings of an existing file; logout removes only its own', async () => {
    const dir = await freshDir('merge');
    const file = path.join(dir, 'mine.json');
    await writeFile(file, JSON.stringify({ auths: { 'other.example': { auth: 'dTpw' } }, keep: 1 }), { mode: 0o600 });
    expect((await loginWith(dir, PASSWORD, ['--authfile', file])).exitCode).toBe(0);
    let doc = JSON.parse(await readFile(file, 'utf8')) as { auths: Record<string, unknown>; keep: number };
    expect(Object.keys(doc.auths).sort()).toEqual([reg.host, 'other.example'].sort());
    expect(doc.keep).toBe(1);
    const out = await racker(t.root, ['logout', '--authfile', file, reg.host], { env: envFor(dir) });
    expect(out.exitCode).toBe(0);
    doc = JSON.parse(await readFile(file, 'utf8')) as typeof doc;
    expect(Object.keys(doc.auths)).toEqual(['other.example']);
    const again = await racker(t.root, ['logout', '--authfile', file, reg.host], { env: envFor(dir) });
    expect(again.exitCode).toBe(125);
    expect(again.stderr).toContain('not logged in');
    const all = await racker(t.root, ['logout', '--all', '--authfile', file], { env: envFor(dir) });
    expect(all.exitCode).toBe(0);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ auths: {}, keep: 1 });
  });

  it('REGISTRY_AUTH_FILE is where login writes and pull reads', async () => {
    const dir = await freshDir('envfile');
    const file = path.join(dir, 'sub', 'auth.json');
    expect((await loginWith(dir, PASSWORD, [], { REGISTRY_AUTH_FILE: file })).exitCode).toBe(0);
    expect((await lstat(file)).isFile()).toBe(true);
    expect((await pullFrom(dir, { REGISTRY_AUTH_FILE: file })).exitCode).toBe(0);
  });

  it('docker\'s ~/.docker/config.json is read as a fallback', async () => {
    const dir = await freshDir('docker');
    await mkdir(path.join(dir, 'docker'));
    await writeFile(path.join(dir, 'docker', 'config.json'), JSON.stringify({ auths: { [`https://${reg.host}/v1/`]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }), { mode: 0o600 });
    expect((await pullFrom(dir)).exitCode).toBe(0);
  });

  it('-p is refused and the value is not echoed', async () => {
    const r = await racker(t.root, ['login', '-u', USER, '-p', 'argv-secret-123', reg.host], { env: envFor(await freshDir('dash-p')) });
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain('--password-stdin');
    expect(r.stderr + r.stdout).not.toContain('argv-secret-123');
  });

  it('the password is never in any process\'s argv or environment while login runs', async () => {
    const dir = await freshDir('proc');
    const child = execa(RACKER, ['--root', t.root, 'login', '-u', USER, '--password-stdin', reg.host], { env: envFor(dir), reject: false, stdin: 'pipe' });
    const seen: string[] = [];
    let done = false;
    const finished = child.then(r => { done = true; return r; });
    const scan = async () => {
      for (const pid of await readdir('/proc').catch(() => [] as string[])) {
        if (!/^\d+$/.test(pid)) continue;
        for (const what of ['cmdline', 'environ']) {
          const text = await readFile(`/proc/${pid}/${what}`, 'latin1').catch(() => '');
          if (text.includes(PASSWORD) && Number(pid) !== process.pid) seen.push(`${pid} ${what}`);
        }
      }
    };
    await scan();
    child.stdin!.end(`${PASSWORD}\n`);
    let scans = 0;
    while (!done) { await scan(); scans++; }
    const r = await finished;
    expect(r.exitCode).toBe(0);
    expect(scans).toBeGreaterThan(0);
    expect(seen).toEqual([]);
  });

  it('warns when the auth file is readable by every user, or a symbolic link', async () => {
    const dir = await freshDir('exposed');
    const real = path.join(dir, 'real.json');
    await writeFile(real, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }));
    await chmod(real, 0o644);
    const r = await pullFrom(dir, { REGISTRY_AUTH_FILE: real });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('readable by every user');
    const link = path.join(dir, 'link.json');
    await symlink(real, link);
    const viaLink = await pullFrom(dir, { REGISTRY_AUTH_FILE: link });
    expect(viaLink.stderr).toContain('is a symbolic link');
    // login through the link writes the file it points to, which stays private
    expect((await loginWith(dir, PASSWORD, ['--authfile', link])).exitCode).toBe(0);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect((await lstat(real)).mode & 0o777).toBe(0o600);
  });
});

describe('plain-HTTP registries', () => {
  it('logs in without TLS only where asked: --tls-verify=false, or insecure in registries.conf', async () => {
    const plain = await startRegistry({ users: { [USER]: PASSWORD } });
    try {
      const dir = await freshDir('plain');
      const login = (args: string[], env: Record<string, string> = {}) =>
        racker(t.root, ['login', '-u', USER, '--password-stdin', ...args, plain.host], { input: PASSWORD, env: envFor(dir, env) });
      const noConf = path.join(dir, 'empty.conf');
      await writeFile(noConf, '');
      const refused = await login([], { CONTAINERS_REGISTRIES_CONF: noConf });
      expect(refused.exitCode).toBe(125);
      expect(refused.stderr).toContain('TLS handshake');
      expect((await login(['--tls-verify=false'], { CONTAINERS_REGISTRIES_CONF: noConf })).exitCode).toBe(0);
      const conf = path.join(dir, 'registries.conf');
      await writeFile(conf, `[[registry]]\nlocation = "${plain.host}"\ninsecure = true\n`);
      const viaConf = await login([], { CONTAINERS_REGISTRIES_CONF: conf });
      expect(viaConf.stderr).not.toContain('Error');
      expect(viaConf.exitCode).toBe(0);
    } finally {
      await plain.stop();
    }
  });
});

describe('interactive login at a terminal', () => {
  it('asks for the user name and the password, and the password is not echoed', async () => {
    const dir = await freshDir('tty');
    // script gives racker a pty; the test types only after each prompt appears, as a person would
    const child = execa('script', ['-qec', `${RACKER} --root ${t.root} login ${reg.host}`, '/dev/null'], { env: envFor(dir), reject: false, stdin: 'pipe' });
    let out = '';
    const waitFor = (text: string) => new Promise<void>((resolve, reject) => {
      const check = () => { if (out.includes(text)) { child.stdout!.off('data', onData); resolve(); } };
      const onData = (d: Buffer) => { out += d.toString(); check(); };
      child.stdout!.on('data', onData);
      void child.then(() => reject(new Error(`exited before '${text}': ${out}`)));
      check();
    });
    await waitFor('Username: ');
    child.stdin!.write(`${USER}\r`);
    await waitFor('Password: ');
    child.stdin!.write(`${PASSWORD}\r`);
    let all = out;
    child.stdout!.on('data', (d: Buffer) => { all += d.toString(); });
    const r = await child;
    all += '';
    expect(r.exitCode).toBe(0);
    expect(all).toContain('Login Succeeded');
    expect(all).toContain(USER);
    expect(all).not.toContain(PASSWORD);
  });
});

describe('credential helpers', () => {
  it('credsStore: login stores through docker-credential-NAME, pull gets from it, logout erases; the file holds no password', async () => {
    const dir = await freshDir('helper');
    const bin = await freshDir('helper-bin');
    const store = path.join(dir, 'helper-store.json');
    await writeFile(path.join(bin, 'docker-credential-rackertest'), [
      '#!/bin/sh',
      `store=${store}`,
      'case "$1" in',
      '  store) cat > "$store" ;;',
      '  get) read server; if [ -f "$store" ]; then cat "$store"; else echo "credentials not found in native keychain"; exit 1; fi ;;',
      '  erase) read server; rm -f "$store" ;;',
      'esac',
      '',
    ].join('\n'), { mode: 0o755 });
    const file = path.join(dir, 'containers', 'auth.json');
    await mkdir(path.dirname(file));
    await writeFile(file, JSON.stringify({ credsStore: 'rackertest' }), { mode: 0o600 });
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const r = await loginWith(dir, PASSWORD, [], env);
    expect(r.stderr).not.toContain('Error');
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(await readFile(store, 'utf8'))).toMatchObject({ ServerURL: reg.host, Username: USER, Secret: PASSWORD });
    expect(await readFile(file, 'utf8')).not.toContain(Buffer.from(`${USER}:${PASSWORD}`).toString('base64'));
    expect((await pullFrom(dir, env)).exitCode).toBe(0);
    expect((await racker(t.root, ['logout', reg.host], { env: envFor(dir, env) })).exitCode).toBe(0);
    await expect(lstat(store)).rejects.toThrow(/ENOENT/);
    expect((await pullFrom(dir, env)).exitCode).toBe(125);
  });
});

describe('hostile registries', () => {
  it('a registry over TLS that names a token realm over plain HTTP never gets the password sent there', async () => {
    const got: string[] = [];
    const realmPort = await listen(createHttpServer((req, res) => {
      got.push(String(req.headers.authorization ?? ''));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"anon"}');
    }));
    const tls = { cert: await readFile(ca.serverCert), key: await readFile(ca.serverKey) };
    const port = await listen(createHttpsServer(tls, (_req, res) => {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${realmPort}/token",service="evil"` }).end();
    }));
    const host = `127.0.0.1:${port}`;
    const base = path.join(work, 'hostile-certs');
    await mkdir(path.join(base, host), { recursive: true });
    await copyFile(ca.caCert, path.join(base, host, 'ca.crt'));
    const dir = await freshDir('realm');
    const r = await racker(t.root, ['login', '-u', USER, '--password-stdin', host], { input: PASSWORD, env: envFor(dir, { RACKER_CERTS_DIRS: base }) });
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain('over plain HTTP; not sending it');
    expect(got.filter(a => a.includes(Buffer.from(`${USER}:${PASSWORD}`).toString('base64')))).toEqual([]);
    await expect(lstat(path.join(dir, 'containers', 'auth.json'))).rejects.toThrow(/ENOENT/);
  });

  it('a 401 from the host a redirect led to is not answered with the registry\'s password', async () => {
    const got: string[] = [];
    const tls = { cert: await readFile(ca.serverCert), key: await readFile(ca.serverKey) };
    const otherPort = await listen(createHttpsServer(tls, (req, res) => {
      got.push(String(req.headers.authorization ?? ''));
      res.writeHead(401, { 'www-authenticate': 'Basic realm="other"' }).end();
    }));
    const port = await listen(createHttpsServer(tls, (_req, res) => {
      res.writeHead(307, { location: `https://127.0.0.1:${otherPort}/v2/` }).end();
    }));
    const base = path.join(work, 'redirect-certs');
    for (const p of [port, otherPort]) {
      await mkdir(path.join(base, `127.0.0.1:${p}`), { recursive: true });
      await copyFile(ca.caCert, path.join(base, `127.0.0.1:${p}`, 'ca.crt'));
    }
    const dir = await freshDir('redirect');
    const r = await racker(t.root, ['login', '-u', USER, '--password-stdin', `127.0.0.1:${port}`], { input: PASSWORD, env: envFor(dir, { RACKER_CERTS_DIRS: base }) });
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain(`redirected there by 127.0.0.1:${port}`);
    expect(got.filter(Boolean)).toEqual([]);
  });
});
