import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, spawnAttached, type AttachedChild } from '../../src/process.js';

const REGISTRY_BIN = '/usr/bin/docker-registry';
const READY_TIMEOUT_MS = 10_000;

export interface TestRegistry {
  /** '127.0.0.1:PORT' */
  host: string;
  /** the registry's storage root (docker/registry/v2/… lives below it) */
  storageDir: string;
  /** kill the registry and remove all its files */
  stop(): Promise<void>;
  /** kill the registry but keep its storage and configuration (restart() brings it back) */
  halt(): Promise<void>;
  /** kill (if running) and start it again on the same port and storage */
  restart(): Promise<void>;
}

/** A port nobody listens on right now (the registry takes it a moment later). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** How a registry guards itself: TLS (optionally asking for client certificates) and htpasswd logins. */
export interface RegistrySecurity {
  tls?: { cert: string; key: string; clientCa?: string };
  /** user → password; stored bcrypt-hashed (through libxcrypt, python3's crypt module) */
  users?: Record<string, string>;
}

/** bcrypt of a password, as docker-registry's htpasswd wants it: glibc's libxcrypt makes $2b$ hashes. */
async function bcrypt(password: string): Promise<string> {
  const script = 'import sys, warnings\nwarnings.simplefilter("ignore")\nimport crypt\nprint(crypt.crypt(sys.stdin.read(), crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))';
  const r = await run('python3', ['-c', script], { input: password, purpose: 'hash a test password' });
  const hash = r.stdout.trim();
  if (!hash.startsWith('$2')) throw new Error(`python3's crypt made no bcrypt hash: ${hash}`);
  return hash;
}

function securityYaml(root: string, sec: RegistrySecurity): string[] {
  const lines: string[] = [];
  if (sec.users) lines.push('auth:', '  htpasswd:', '    realm: racker-test', `    path: ${path.join(root, 'htpasswd')}`);
  return lines;
}

function tlsYaml(sec: RegistrySecurity): string[] {
  if (!sec.tls) return [];
  const lines = ['  tls:', `    certificate: ${sec.tls.cert}`, `    key: ${sec.tls.key}`];
  if (sec.tls.clientCa) lines.push('    clientcas:', `      - ${sec.tls.clientCa}`);
  return lines;
}

function configYaml(storageDir: string, host: string, extra: string[] = [], tls: string[] = []): string {
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storageDir}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${host}`,
    ...tls,
    ...extra,
    '',
  ].join('\n');
}

/** Listening at all (a TLS or auth registry cannot answer a plain, anonymous GET with 200). */
function listens(host: string): Promise<boolean> {
  const [h, p] = host.split(':');
  return new Promise(resolve => {
    const s = connect(Number(p), h, () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

async function answers(host: string, sec: RegistrySecurity): Promise<boolean> {
  if (sec.tls || sec.users) return listens(host);
  try {
    const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Kill a child: TERM, then KILL if it lingers. */
async function kill(child: AttachedChild): Promise<void> {
  child.kill('SIGTERM');
  const exited = await Promise.race([child.exit.then(() => true, () => true), sleep(5000).then(() => false)]);
  if (!exited) {
    child.kill('SIGKILL');
    await child.exit.catch(() => undefined);
  }
}

/**
 * Start a docker-registry (distribution 2.x) on a free loopback port, storing
 * into a temp dir; plain HTTP and open unless `sec` asks for TLS or logins.
 */
export async function startRegistry(sec: RegistrySecurity = {}): Promise<TestRegistry> {
  const root = await mkdtemp(path.join(tmpdir(), 'racker-registry-'));
  const storageDir = path.join(root, 'storage');
  const config = path.join(root, 'config.yml');
  const logFile = path.join(root, 'registry.log');
  await mkdir(storageDir);
  if (sec.users) {
    const entries = await Promise.all(Object.entries(sec.users).map(async ([u, pw]) => `${u}:${await bcrypt(pw)}`));
    await writeFile(path.join(root, 'htpasswd'), `${entries.join('\n')}\n`, { mode: 0o600 });
  }
  let host = '';
  let child: AttachedChild | undefined;

  const launch = async (): Promise<void> => {
    const fd = openSync(logFile, 'a');
    try {
      child = spawnAttached(REGISTRY_BIN, ['serve', config], 'ignore', fd);
    } finally {
      closeSync(fd);
    }
    const started = Date.now();
    let dead = false;
    void child.exit.then(() => { dead = true; }, () => { dead = true; });
    while (Date.now() - started < READY_TIMEOUT_MS && !dead) {
      if (await answers(host, sec)) return;
      await sleep(100);
    }
    const log = await readFile(logFile, 'utf8').catch(() => '');
    if (!dead) await kill(child);
    throw new Error(`docker-registry on ${host} ${dead ? 'exited' : `did not answer within ${READY_TIMEOUT_MS / 1000} s`}; its log:\n${log.slice(-4000)}`);
  };

  try {
    // the port may be taken between freePort() and the registry binding it: try a few
    for (let tries = 1; ; tries++) {
      host = `127.0.0.1:${await freePort()}`;
      await writeFile(config, configYaml(storageDir, host, securityYaml(root, sec), tlsYaml(sec)));
      try {
        await launch();
        break;
      } catch (err) {
        if (tries >= 3 || !/address already in use/.test((err as Error).message)) throw err;
      }
    }
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }

  return {
    host,
    storageDir,
    async stop() {
      if (child) await kill(child);
      child = undefined;
      await rm(root, { recursive: true, force: true });
    },
    async halt() {
      if (child) await kill(child);
      child = undefined;
    },
    async restart() {
      if (child) await kill(child);
      await launch();
    },
  };
}

/**
 * Push the image tagged `tag` in an OCI layout to `HOST/repoAndTag`. `--all`
 * copies a multi-platform index as it is, and a single image unchanged.
 */
export async function pushLayout(reg: Pick<TestRegistry, 'host'>, layoutDir: string, tag: string, repoAndTag: string,
  opts: { authfile?: string; certDir?: string; extra?: string[] } = {}): Promise<void> {
  const more = [
    ...(opts.authfile ? ['--dest-authfile', opts.authfile] : []),
    ...(opts.certDir ? ['--dest-cert-dir', opts.certDir] : []),
    ...(opts.extra ?? []),
  ];
  await run('skopeo', ['copy', '--quiet', '--all', '--dest-tls-verify=false', ...more, `oci:${layoutDir}:${tag}`, `docker://${reg.host}/${repoAndTag}`],
    { purpose: `push ${layoutDir}:${tag} to ${reg.host}/${repoAndTag}` });
}

/** Where the registry keeps a blob's bytes. */
export function blobDataPath(reg: Pick<TestRegistry, 'storageDir'>, digest: string): string {
  const m = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!m) throw new Error(`not a sha256 digest: ${digest}`);
  return path.join(reg.storageDir, 'docker/registry/v2/blobs/sha256', m[1].slice(0, 2), m[1], 'data');
}

/** Replace a stored blob's bytes with different bytes of the same length (every byte inverted). */
export async function tamperBlob(reg: Pick<TestRegistry, 'storageDir'>, digest: string): Promise<void> {
  const file = blobDataPath(reg, digest);
  const data = await readFile(file);
  await writeFile(file, Buffer.from(data.map(b => b ^ 0xff)));
}

/** Upload one blob to `HOST/repository` through the distribution API (monolithic upload). */
export async function putBlob(reg: Pick<TestRegistry, 'host'>, repository: string, bytes: Buffer): Promise<string> {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const start = await fetch(`http://${reg.host}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  await start.body?.cancel();
  const location = start.headers.get('location');
  if (start.status !== 202 || !location) throw new Error(`blob upload to ${reg.host}/${repository} not accepted: ${start.status}`);
  const url = new URL(location, `http://${reg.host}`);
  url.searchParams.set('digest', digest);
  const put = await fetch(url, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`blob upload to ${reg.host}/${repository} failed: ${put.status} ${await put.text()}`);
  return digest;
}

/** Store a manifest or index document as `HOST/repository:reference`, as a pushing client would. */
export async function putManifest(reg: Pick<TestRegistry, 'host'>, repository: string, reference: string, doc: unknown, mediaType: string): Promise<string> {
  const bytes = Buffer.from(JSON.stringify(doc));
  const res = await fetch(`http://${reg.host}/v2/${repository}/manifests/${reference}`, { method: 'PUT', body: bytes, headers: { 'content-type': mediaType } });
  if (res.status !== 201) throw new Error(`manifest push to ${reg.host}/${repository}:${reference} failed: ${res.status} ${await res.text()}`);
  await res.body?.cancel();
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
