import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdir, readdir, readFile, rm, symlink, writeFile, mkdtemp } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { execa } from 'execa';
import { RACKER, racker, tempRoot } from '../helpers/cli.js';
import { startFaultProxy, type Fault } from '../helpers/fault-proxy.js';
import { pushLayout, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { writeOciLayout } from '../helpers/oci-layout.js';
import { busyboxLayer } from '../helpers/fixture-images.js';
import { buildLayer, type BuiltLayer } from '../helpers/tar-builder.js';
import { readProcFile } from '../../src/process.js';

/** Registry faults, kills, concurrency, disk full, and many runs: nothing lost, nothing leaked. */
const reg = inject('registry');
const BUSYBOX = `${reg}/fixtures/busybox:latest`;
let t: Awaited<ReturnType<typeof tempRoot>>;
let big: BuiltLayer;

async function mountsUnder(root: string): Promise<string[]> {
  return (await readProcFile('/proc/self/mounts')).split('\n').filter(l => l.includes(root));
}

/** Every image the store lists has all its layers: nothing half-made is visible. */
async function storeConsistent(root: string): Promise<void> {
  const images = await racker(root, ['images', '--format', 'json']);
  expect(images.exitCode).toBe(0);
  for (const f of await readdir(path.join(root, 'images')).catch(() => [] as string[])) {
    const rec = JSON.parse(await readFile(path.join(root, 'images', f), 'utf8')) as { layers: string[] };
    for (const l of rec.layers) await readFile(path.join(root, 'layers', l.slice(7), 'layer.json'));
  }
}

beforeAll(async () => {
  t = await tempRoot('faults');
  // incompressible, so the blob is big enough to cut, throttle and fill disks with
  big = buildLayer([{ type: 'file', name: 'big.bin', body: randomBytes(6 * 1024 * 1024) }]);
  const dir = path.join(t.root, 'layout-big');
  await writeOciLayout(dir, { layers: [busyboxLayer(), big], tag: 'latest' });
  await pushLayout({ host: reg }, dir, 'latest', 'fixtures/big:latest');
});
afterAll(async () => { await t.remove(); });

describe('registry faults', () => {
  it('a connection cut in the middle of a blob is resumed', async () => {
    let cut = false;
    const proxy = await startFaultProxy(reg, req => {
      if (!cut && req.url?.includes(`/blobs/${big.digest}`) && !req.headers.range) { cut = true; return { kind: 'cut', afterBytes: 2_000_000 }; }
      return { kind: 'pass' };
    });
    try {
      const store = path.join(t.root, 'resume');
      const r = await racker(store, ['--verbose', 'pull', '--tls-verify=false', `${proxy.host}/fixtures/big:latest`]);
      expect(r.stderr).toMatch(/connection lost at byte \d+ .*resuming/);
      expect(r.exitCode).toBe(0);
      expect(proxy.requests.filter(q => q.url.includes(big.digest)).length).toBe(2);
      await storeConsistent(store);
    } finally {
      await proxy.close();
    }
  });

  it('503 and 429 are retried with backoff; the pull then succeeds', async () => {
    let failures = 0;
    const proxy = await startFaultProxy(reg, req => (req.url?.includes('/manifests/') && failures++ < 2 ? { kind: 'status', status: failures === 1 ? 503 : 429 } : { kind: 'pass' }));
    try {
      const r = await racker(path.join(t.root, 'retry'), ['pull', '--tls-verify=false', '--retry-delay', '50', `${proxy.host}/fixtures/busybox:latest`]);
      expect(r.exitCode).toBe(0);
      expect(proxy.requests.filter(q => q.url.includes('/manifests/')).map(q => q.fault)).toEqual(['status', 'status', 'pass']);
    } finally {
      await proxy.close();
    }
  });

  it('a registry that keeps failing gives up after --retry attempts with its words', async () => {
    const proxy = await startFaultProxy(reg, () => ({ kind: 'status', status: 503 }));
    try {
      const started = Date.now();
      const r = await racker(path.join(t.root, 'giveup'), ['pull', '--tls-verify=false', '--retry', '2', '--retry-delay', '20', `${proxy.host}/fixtures/busybox:latest`]);
      expect(r.exitCode).toBe(125);
      expect(r.stderr).toMatch(/503/);
      expect(proxy.requests.length).toBe(3);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await proxy.close();
    }
  });

  it('a registry that trickles its manifest (one byte every 3 s) fails at RACKER_REGISTRY_TIMEOUT, not never', async () => {
    const proxy = await startFaultProxy(reg, req => (req.url?.includes('/manifests/') ? { kind: 'trickle', everyMs: 3000 } : { kind: 'pass' }));
    try {
      const started = Date.now();
      // without a deadline the idle timer restarts with every byte: execa's timeout ends that
      const r = await racker(path.join(t.root, 'trickle'), ['pull', '--tls-verify=false', `${proxy.host}/fixtures/busybox:latest`],
        { env: { RACKER_REGISTRY_TIMEOUT: '2' }, timeout: 20_000 });
      const took = Date.now() - started;
      expect(r.exitCode).toBe(125);
      expect(r.stderr).toMatch(new RegExp(`${proxy.host} took more than 2 s to send manifest fixtures/busybox:latest`));
      expect(r.stderr).toMatch(/hint: wait longer with --registry-timeout SECONDS or RACKER_REGISTRY_TIMEOUT/);
      expect(r.stderr.trim().split('\n')).toHaveLength(2);
      expect(took).toBeLessThan(10_000);
      expect(proxy.requests.filter(q => q.url.includes('/manifests/'))).toHaveLength(1);

      const bad = await racker(path.join(t.root, 'trickle'), ['--registry-timeout', 'soon', 'pull', `${proxy.host}/fixtures/busybox:latest`]);
      expect(bad.exitCode).toBe(125);
      expect(bad.stderr).toMatch(/invalid --registry-timeout \/ RACKER_REGISTRY_TIMEOUT value 'soon': expected a number of seconds greater than 0/);
      expect(proxy.requests.filter(q => q.url.includes('/manifests/'))).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it('a blob slower than RACKER_REGISTRY_MIN_RATE fails with its host and rate, and is not resumed', async () => {
    const proxy = await startFaultProxy(reg, req => (req.url?.includes(`/blobs/${big.digest}`) ? { kind: 'throttle', bytesPer10ms: 10 } : { kind: 'pass' }));
    try {
      const store = path.join(t.root, 'slow-blob');
      const started = Date.now();
      // 1 KB/s: without a minimum rate this 6 MiB layer would take about two hours
      const r = await racker(store, ['--registry-timeout', '1', '--registry-min-rate', '50', 'pull', '--tls-verify=false', `${proxy.host}/fixtures/big:latest`],
        { env: { RACKER_REGISTRY_MIN_RATE: '0.001' }, timeout: 20_000 });
      expect(r.exitCode).toBe(125);
      expect(r.stderr).toMatch(new RegExp(`${proxy.host} sends blob ${big.digest} too slowly: \\d+ bytes in [\\d.]+ s, below the minimum of 50 KiB/s`));
      expect(r.stderr).toMatch(/hint: accept slower registries with --registry-min-rate/);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(proxy.requests.filter(q => q.url.includes(big.digest))).toHaveLength(1);
      await storeConsistent(store);
    } finally {
      await proxy.close();
    }
  });

  it('a registry that is stopped fails clearly; once started again the pull works', async () => {
    const own: TestRegistry = await startRegistry();
    try {
      const dir = path.join(t.root, 'layout-bb');
      await writeOciLayout(dir, { layers: [busyboxLayer()], tag: 'latest' });
      await pushLayout(own, dir, 'latest', 'x/bb:latest');
      const store = path.join(t.root, 'stopped');
      await own.halt();
      const down = await racker(store, ['pull', '--tls-verify=false', '--retry', '1', '--retry-delay', '20', `${own.host}/x/bb:latest`]);
      expect(down.exitCode).toBe(125);
      expect(down.stderr).toMatch(/connect|refused/i);
      await own.restart();
      await pushLayout(own, dir, 'latest', 'x/bb:latest');
      const up = await racker(store, ['pull', '--tls-verify=false', `${own.host}/x/bb:latest`]);
      expect(up.exitCode).toBe(0);
    } finally {
      await own.stop().catch(() => undefined);
    }
  });
});

describe('kills and concurrency', () => {
  it('kill -9 of racker at random moments of a pull leaves a store that keeps working', async () => {
    const proxy = await startFaultProxy(reg, () => ({ kind: 'throttle', bytesPer10ms: 64 * 1024 }));
    const store = path.join(t.root, 'killed');
    try {
      expect((await racker(store, ['pull', '-q', '--tls-verify=false', BUSYBOX])).exitCode).toBe(0);
      for (let i = 0; i < 6; i++) {
        const child = execa(RACKER, ['--root', store, 'pull', '--tls-verify=false', `${proxy.host}/fixtures/big:latest`], { reject: false });
        await new Promise(res => setTimeout(res, 150 + Math.floor(Math.random() * 900)));
        child.kill('SIGKILL');
        await child;
        await storeConsistent(store);
        const run = await racker(store, ['run', '--rm', BUSYBOX, 'echo', 'still fine']);
        expect(run.stdout).toBe('still fine');
      }
      const last = await racker(store, ['pull', '--tls-verify=false', `${proxy.host}/fixtures/big:latest`]);
      expect(last.exitCode).toBe(0);
      await storeConsistent(store);
      // what the killed pulls had half-written was swept by the next one
      expect(await readdir(path.join(store, 'tmp'))).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('many concurrent pulls of the same and different images: each layer fetched once, no corruption', async () => {
    const store = path.join(t.root, 'concurrent');
    const refs = [`${reg}/fixtures/big:latest`, `${reg}/fixtures/big:latest`, `${reg}/fixtures/multi:latest`, BUSYBOX, `${reg}/fixtures/big:latest`];
    const results = await Promise.all(refs.map(r => racker(store, ['pull', '--tls-verify=false', r])));
    for (const r of results) expect(r.exitCode, r.stderr).toBe(0);
    const completes = results.map(r => (r.stderr.match(/Pull complete/g) ?? []).length).reduce((a, b) => a + b, 0);
    // layers: busybox (shared), big, and the two of multi
    expect(completes).toBe(4);
    await storeConsistent(store);
    expect(await readdir(path.join(store, 'tmp'))).toEqual([]);
  });

  it('200 sequential runs with --rm leave no mount, process or file behind', async () => {
    const store = path.join(t.root, 'many');
    expect((await racker(store, ['pull', '-q', '--tls-verify=false', BUSYBOX])).exitCode).toBe(0);
    for (let i = 0; i < 200; i++) {
      const r = await racker(store, ['run', '--rm', BUSYBOX, 'true']);
      if (r.exitCode !== 0) throw new Error(`run ${i} failed: ${r.stderr}`);
    }
    expect(await mountsUnder(store)).toEqual([]);
    expect(await readdir(path.join(store, 'containers'))).toEqual([]);
    expect(await readdir(path.join(store, 'tmp'))).toEqual([]);
    expect((await execa('pgrep', ['-f', store], { reject: false })).stdout).toBe('');
  }, 600_000);
});

describe('disk full', () => {
  it('a store that fills up while unpacking: clear error, consistent store, smaller images still pull', async () => {
    const mnt = await mkdtemp('/tmp/racker-test-diskfull-');
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=5m', 'tmpfs', mnt]);
    try {
      const r = await racker(mnt, ['pull', '--tls-verify=false', `${reg}/fixtures/big:latest`]);
      expect(r.exitCode).toBe(125);
      expect(r.stderr).toMatch(/no space left/i);
      expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
      expect(await readdir(path.join(mnt, 'images'))).toEqual([]);
      expect(await readdir(path.join(mnt, 'tmp'))).toEqual([]);
      await storeConsistent(mnt);
      const small = await racker(mnt, ['run', '--rm', '--tls-verify=false', BUSYBOX, 'echo', 'fits']);
      expect(small.stdout).toBe('fits');
    } finally {
      await execa('umount', [mnt], { reject: false });
      await rm(mnt, { recursive: true, force: true });
    }
  });
});

describe('bind mounts', () => {
  it('warns about symlinks and git worktrees that point outside a mounted folder', async () => {
    const src = path.join(t.root, 'project');
    await mkdir(path.join(src, 'sub'), { recursive: true });
    await symlink('/etc/hostname', path.join(src, 'abs-link'));
    await symlink('../../elsewhere', path.join(src, 'sub', 'up-link'));
    await symlink('sub', path.join(src, 'fine-link'));
    await writeFile(path.join(src, '.git'), 'gitdir: /srv/repo/.git/worktrees/project\n');
    const store = path.join(t.root, 'warn');
    const r = await racker(store, ['run', '--rm', '--tls-verify=false', '-v', `${src}:/src`, BUSYBOX, 'true']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`${src}/abs-link -> /etc/hostname`);
    expect(r.stderr).toContain('up-link');
    expect(r.stderr).not.toContain('fine-link');
    expect(r.stderr).toContain('git worktree or submodule');
    expect(r.stderr).toContain('-v /srv/repo/.git:/srv/repo/.git');
    expect(r.stderr).toContain('-v /etc/hostname:/etc/hostname');
  });

  it('paths with ":" cannot be written with -v and are refused; "\\\\" in a path works', async () => {
    const store = path.join(t.root, 'colon');
    const odd = path.join(t.root, 'back\\slash');
    await mkdir(odd);
    await writeFile(path.join(odd, 'f'), 'ok\n');
    const colon = await racker(store, ['run', '--rm', '--tls-verify=false', '-v', '/a:b:/c', BUSYBOX, 'true']);
    expect(colon.exitCode).toBe(125);
    const r = await racker(store, ['run', '--rm', '--tls-verify=false', '-v', `${odd}:/mnt/odd`, BUSYBOX, 'cat', '/mnt/odd/f']);
    expect(r.stdout).toBe('ok');
  });
});
