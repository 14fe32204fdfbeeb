import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { POSTROJ, racker, tempRoot } from '../helpers/cli.js';
import { MirrorFetcher, OS_PACKAGES } from '../../src/image/mirror-fetcher.js';
import { RackerError } from '../../src/errors.js';

/**
 * Failing mirror builds and tools say why: a package mirror on 127.0.0.1 that
 * nobody listens on, a keyring that is not there, an archive skopeo cannot read.
 */
let t: Awaited<ReturnType<typeof tempRoot>>;
let cache: string;
let port: number;
const postroj = (args: string[]) => execa(POSTROJ, ['--root', t.root, ...args], {
  reject: false, stdin: 'ignore', timeout: 5 * 60_000, env: { ...process.env, RACKER_MIRROR_CACHE: cache },
});

/** A local port with nothing behind it: bound by us for a moment, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise(resolve => server.close(resolve));
  return port;
}

beforeAll(async () => {
  t = await tempRoot('mirror-errors');
  cache = path.join(t.root, 'mirror-cache');
  port = await closedPort();
});
afterAll(async () => { await t.remove(); });

/** What a failed build left in its cache directory, besides the lock files. */
async function leftovers(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter(f => !f.endsWith('.lock'));
}

describe('a mirror build that fails', () => {
  it('shows the cause from the earlier lines of mmdebstrap, and --debug shows its output', async () => {
    const mirror = `http://127.0.0.1:${port}/debian`;
    const r = await postroj(['--debug', 'pull', 'debian-bookworm', '--source', 'mirror', '--mirror', mirror]);
    expect(r.exitCode).toBe(1);
    const [first, ...rest] = r.stdout.split('\n');
    expect(first).toMatch(new RegExp(`^debian-bookworm: failed: build bookworm from ${mirror}: mmdebstrap returned exit code \\d+: E: .*Could not connect to 127\\.0\\.0\\.1:${port}`));
    expect(rest.at(-1)).toBe('  E: mmdebstrap failed to run');
    expect(rest.length).toBeLessThanOrEqual(4);
    expect(r.stderr).toContain('command: mmdebstrap --variant=minbase');
    expect(r.stderr).toContain('I: running apt-get update');
    expect(r.stderr).not.toContain('[object Object]');
    expect(await leftovers(cache)).toEqual([]);
  });

  it('names a missing keyring and the package that provides it, before running mmdebstrap', async () => {
    const keyring = path.join(t.root, 'no-such-archive-keyring.gpg');
    const dir = path.join(t.root, 'keyring-cache');
    const f = new MirrorFetcher({ suite: 'bookworm', url: `http://127.0.0.1:${port}/debian`, keyring, keyringPackage: 'example-archive-keyring', packages: OS_PACKAGES, cacheDir: dir });
    const started = Date.now();
    const err = await f.resolve().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RackerError);
    expect((err as RackerError).message).toBe(`keyring ${keyring} not found: it is needed to verify bookworm from http://127.0.0.1:${port}/debian`);
    expect((err as RackerError).hint).toMatch(/^install it: apt-get install example-archive-keyring/);
    expect((err as RackerError).exitCode).toBe(125);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await leftovers(dir)).toEqual([]);
  });

  it('a directory is not a keyring either', async () => {
    const keyring = path.join(t.root, 'keyring-dir.gpg');
    await mkdir(keyring);
    const f = new MirrorFetcher({ suite: 'bookworm', url: `http://127.0.0.1:${port}/debian`, keyring, packages: OS_PACKAGES, cacheDir: path.join(t.root, 'dir-cache') });
    await expect(f.resolve()).rejects.toThrow(`keyring ${keyring} not found`);
  });

  const UBUNTU_KEYRING = '/usr/share/keyrings/ubuntu-archive-keyring.gpg';
  it.skipIf(existsSync(UBUNTU_KEYRING))('postroj pull ubuntu-noble says the Ubuntu keyring is missing (on a host without it)', async () => {
    const r = await postroj(['pull', 'ubuntu-noble', '--source', 'mirror', '--mirror', `http://127.0.0.1:${port}/ubuntu`]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(`ubuntu-noble: failed: keyring ${UBUNTU_KEYRING} not found`);
    expect(r.stdout).toContain('hint: install it: apt-get install ubuntu-keyring');
  });
});

describe('--debug after a tool failure', () => {
  it('prints the command and its output, not [object Object] (skopeo on a broken archive)', async () => {
    const file = path.join(t.root, 'broken.tar');
    await writeFile(file, Buffer.alloc(4096, 0x41));
    const r = await racker(t.root, ['--debug', 'pull', `docker-archive:${file}`]);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain('skopeo returned exit code');
    expect(r.stderr).toContain('command: skopeo copy');
    expect(r.stderr).toMatch(/stderr:\n.*level=fatal/);
    expect(r.stderr).not.toContain('[object Object]');
  });
});
