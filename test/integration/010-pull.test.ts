import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readdir, writeFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { writeOciLayout } from '../helpers/oci-layout.js';
import { busyboxImage, multiLayerImage, repeatedLayerImage } from '../helpers/fixture-images.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';

const reg = inject('registry');
const BUSYBOX = `${reg}/fixtures/busybox:latest`;
const MULTI = `${reg}/fixtures/multi:latest`;

let t: Awaited<ReturnType<typeof tempRoot>>;
beforeAll(async () => { t = await tempRoot('pull'); });
afterAll(async () => { await t.remove(); });

async function imagesJson(root: string) {
  const r = await racker(root, ['images', '--format', 'json']);
  expect(r.exitCode).toBe(0);
  return r.stdout.split('\n').filter(Boolean).map(l => JSON.parse(l) as { Id: string; Repository: string; Tag: string; Size: number; Names: string[] });
}

describe('racker pull from a registry', () => {
  it('pulls an image, prints its id and lists it', async () => {
    const r = await racker(t.root, ['pull', '--tls-verify=false', BUSYBOX]);
    expect(r.stderr).toContain('Pull complete');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toMatch(/^sha256:[a-f0-9]{64}$/);
    const imgs = await imagesJson(t.root);
    expect(imgs).toContainEqual(expect.objectContaining({ Id: r.stdout.trim(), Repository: `${reg}/fixtures/busybox`, Tag: 'latest' }));
    const table = await racker(t.root, ['images']);
    expect(table.stdout.split('\n')[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
  });

  it('fetches nothing the second time, and nothing of a shared base layer', async () => {
    const again = await racker(t.root, ['pull', '--tls-verify=false', BUSYBOX]);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain('Already exists');
    expect(again.stderr).toContain('0 layers fetched, 1 reused');
    const multi = await racker(t.root, ['pull', '--tls-verify=false', MULTI]);
    expect(multi.exitCode).toBe(0);
    // the busybox layer is shared: only the two new layers are fetched and unpacked
    expect(multi.stderr).toContain('2 layers fetched, 1 reused');
    expect((await readdir(path.join(t.root, 'layers'))).length).toBe(3);
  });

  it('--force fetches again', async () => {
    const r = await racker(t.root, ['pull', '--force', '--tls-verify=false', BUSYBOX]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('1 layers fetched, 0 reused');
  });

  it('pulls by digest', async () => {
    const byTag = await imagesJson(t.root);
    const digest = (await execa('skopeo', ['inspect', '--tls-verify=false', '--format', '{{.Digest}}', `docker://${BUSYBOX}`])).stdout.trim();
    const r = await racker(t.root, ['pull', '--tls-verify=false', `${reg}/fixtures/busybox@${digest}`]);
    expect(r.exitCode).toBe(0);
    expect(byTag.map(i => i.Id)).toContain(r.stdout.trim());
  });

  it('rejects an invalid reference before any network or disk work', async () => {
    const fresh = await tempRoot('badref');
    try {
      for (const bad of ['Busybox', 'busybox:', 'a/../b', 'docker:////x', 'busy box']) {
        const r = await racker(fresh.root, ['pull', bad]);
        expect(r.exitCode, bad).toBe(125);
        expect(r.stderr.split('\n').filter(Boolean).length, r.stderr).toBeLessThanOrEqual(2);
      }
      expect(await readdir(fresh.root)).toEqual([]);
    } finally {
      await fresh.remove();
    }
  });

  it('reports an unknown repository or tag at once, without retrying', async () => {
    const started = Date.now();
    const r = await racker(t.root, ['pull', '--tls-verify=false', `${reg}/fixtures/nope:latest`]);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toMatch(/manifest unknown|not found/i);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('uses mirrors and insecure registries from registries.conf', async () => {
    const dir = await tempRoot('regconf');
    try {
      const conf = path.join(dir.root, 'registries.conf');
      await writeFile(conf, `[[registry]]\nprefix = "example.invalid"\nlocation = "${reg}"\ninsecure = true\n`);
      const r = await racker(dir.root, ['pull', 'example.invalid/fixtures/busybox:latest'], { env: { CONTAINERS_REGISTRIES_CONF: conf } });
      expect(r.stderr).toContain('Pull complete');
      expect(r.exitCode).toBe(0);
    } finally {
      await dir.remove();
    }
  });

  it('two concurrent pulls of one image download each layer once', async () => {
    const fresh = await tempRoot('concurrent');
    try {
      const [a, b] = await Promise.all([
        racker(fresh.root, ['pull', '--tls-verify=false', MULTI]),
        racker(fresh.root, ['pull', '--tls-verify=false', MULTI]),
      ]);
      expect(a.exitCode).toBe(0);
      expect(b.exitCode).toBe(0);
      const completes = (a.stderr + b.stderr).match(/Pull complete/g)?.length ?? 0;
      expect(completes).toBe(3);
      expect((await readdir(path.join(fresh.root, 'tmp')))).toEqual([]);
    } finally {
      await fresh.remove();
    }
  });

  it('a layer listed twice: downloaded once, kept per use, removed with the image', async () => {
    const fresh = await tempRoot('repeated');
    const proxy = await startFaultProxy(reg, () => ({ kind: 'pass' }));
    const name = uniqueName('repeated');
    try {
      const a = repeatedLayerImage().layers[1];
      const image = `${proxy.host}/fixtures/repeated:latest`;
      const r = await racker(fresh.root, ['pull', '--tls-verify=false', image]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toContain('4 layers fetched, 0 reused');
      expect(proxy.requests.filter(q => q.method === 'GET' && q.url.includes(a.digest)).length).toBe(1);
      // the second A is unpacked over B (its whiteouts hide B's files): a directory of its own
      const layers = await readdir(path.join(fresh.root, 'layers'));
      expect(layers).toHaveLength(4);
      expect(layers).toContain(a.digest.slice(7));
      expect(await readdir(path.join(fresh.root, 'tmp'))).toEqual([]);
      const again = await racker(fresh.root, ['pull', '--tls-verify=false', image]);
      expect(again.stderr).toContain('0 layers fetched, 4 reused');
      const forced = await racker(fresh.root, ['pull', '--force', '--tls-verify=false', image]);
      expect(forced.stderr).toContain('4 layers fetched, 0 reused');
      expect(proxy.requests.filter(q => q.method === 'GET' && q.url.includes(a.digest)).length).toBe(2);
      expect((await readdir(path.join(fresh.root, 'layers'))).sort()).toEqual([...layers].sort());
      expect(await readdir(path.join(fresh.root, 'tmp'))).toEqual([]);
      expect((await racker(fresh.root, ['run', '--name', name, image, 'true'])).exitCode).toBe(0);
      const busy = await racker(fresh.root, ['rmi', image]);
      expect(busy.exitCode).toBe(125);
      expect((await racker(fresh.root, ['rm', name])).exitCode).toBe(0);
      const rmi = await racker(fresh.root, ['rmi', image]);
      expect(rmi.exitCode, rmi.stderr).toBe(0);
      expect(rmi.stdout.match(/^Deleted: sha256:/gm)).toHaveLength(5);
      expect(await readdir(path.join(fresh.root, 'layers'))).toEqual([]);
    } finally {
      await proxy.close();
      await racker(fresh.root, ['rm', '-f', name]);
      await fresh.remove();
    }
  });

  it('ignores what a killed pull left behind (stale lock, half-unpacked staging dir)', async () => {
    const fresh = await tempRoot('stale');
    try {
      const first = await racker(fresh.root, ['pull', '--tls-verify=false', BUSYBOX]);
      const layerHex = (await readdir(path.join(fresh.root, 'layers')))[0];
      // pretend a racker with a dead pid held the lock and was mid-unpack of the other image
      await racker(fresh.root, ['rmi', BUSYBOX]);
      expect(first.exitCode).toBe(0);
      await writeFile(path.join(fresh.root, 'locks', `layer-${layerHex}.lock`), '999999 1');
      await mkdir(path.join(fresh.root, 'tmp', `layer-${layerHex.slice(0, 12)}.999999.abcd/fs/bin`), { recursive: true });
      const r = await racker(fresh.root, ['pull', '--tls-verify=false', BUSYBOX]);
      expect(r.stderr).toContain('Pull complete');
      expect(r.exitCode).toBe(0);
    } finally {
      await fresh.remove();
    }
  });
});

describe('racker pull from layouts and archives', () => {
  it('pulls oci:DIR:TAG, oci-archive:FILE and docker-archive:FILE', async () => {
    const work = await tempRoot('layouts');
    try {
      const layout = path.join(work.root, 'layout');
      await writeOciLayout(layout, { ...busyboxImage(), tag: 'v1' });
      const r1 = await racker(work.root, ['--root', path.join(work.root, 'store'), 'pull', `oci:${layout}:v1`]);
      expect(r1.stderr + r1.stdout).toMatch(/sha256:/);
      expect(r1.exitCode).toBe(0);
      const archive = path.join(work.root, 'img.tar');
      await execa('skopeo', ['copy', '--quiet', `oci:${layout}:v1`, `oci-archive:${archive}:v1`]);
      const r2 = await racker(work.root, ['--root', path.join(work.root, 'store'), 'pull', `oci-archive:${archive}`]);
      expect(r2.exitCode).toBe(0);
      const docker = path.join(work.root, 'docker.tar');
      await execa('skopeo', ['copy', '--quiet', `oci:${layout}:v1`, `docker-archive:${docker}:local/bb:v1`]);
      const r3 = await racker(work.root, ['--root', path.join(work.root, 'store'), 'pull', `docker-archive:${docker}`]);
      expect(r3.exitCode).toBe(0);
      const missing = await racker(work.root, ['--root', path.join(work.root, 'store'), 'pull', `oci-archive:${work.root}/nope.tar`]);
      expect(missing.exitCode).toBe(125);
      expect(missing.stderr).toMatch(/nope\.tar/);
    } finally {
      await work.remove();
    }
  });

  it('multi-layer image: the store keeps one directory per layer in overlay format', async () => {
    const work = await tempRoot('multi-layout');
    try {
      const layout = path.join(work.root, 'layout');
      const spec = multiLayerImage();
      await writeOciLayout(layout, spec);
      const r = await racker(work.root, ['pull', `oci:${layout}:latest`]);
      expect(r.exitCode).toBe(0);
      const top = path.join(work.root, 'layers', spec.layers[2].digest.slice(7), 'fs');
      const st = await execa('stat', ['-c', '%F %t:%T', path.join(top, 'data/gone.txt')]);
      expect(st.stdout).toBe('character special file 0:0');
      const opq = await execa('getfattr', ['--absolute-names', '-n', 'trusted.overlay.opaque', '--only-values', path.join(top, 'data/opaque')]);
      expect(opq.stdout).toBe('y');
      const json = JSON.parse(await readFile(path.join(work.root, 'layers', spec.layers[2].digest.slice(7), 'layer.json'), 'utf8')) as { diffId: string };
      expect(json.diffId).toBe(spec.layers[2].diffId);
    } finally {
      await work.remove();
    }
  });
});
