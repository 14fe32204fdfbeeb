import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
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

function configYaml(storageDir: string, host: string): string {
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
    '',
  ].join('\n');
}

async function answers(host: string): Promise<boolean> {
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

/** Start a docker-registry (distribution 2.x) on a free loopback port, storing into a temp dir. */
export async function startRegistry(): Promise<TestRegistry> {
  const root = await mkdtemp(path.join(tmpdir(), 'racker-registry-'));
  const storageDir = path.join(root, 'storage');
  const config = path.join(root, 'config.yml');
  const logFile = path.join(root, 'registry.log');
  await mkdir(storageDir);
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
      if (await answers(host)) return;
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
      await writeFile(config, configYaml(storageDir, host));
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
export async function pushLayout(reg: Pick<TestRegistry, 'host'>, layoutDir: string, tag: string, repoAndTag: string): Promise<void> {
  await run('skopeo', ['copy', '--quiet', '--all', '--dest-tls-verify=false', `oci:${layoutDir}:${tag}`, `docker://${reg.host}/${repoAndTag}`],
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
