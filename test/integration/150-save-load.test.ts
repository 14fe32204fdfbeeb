import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { RACKER, racker, tempRoot } from '../helpers/cli.js';
import { underTerminal } from '../helpers/terminal.js';
import { busyboxLayer } from '../helpers/fixture-images.js';
import { writeOciLayout } from '../helpers/oci-layout.js';
import { pushLayout } from '../helpers/registry.js';
import { buildLayer, buildTar, sha256, type TarEntry } from '../helpers/tar-builder.js';
import { readTar } from '../../src/image/tar-reader.js';

/** racker save and load, against archives skopeo writes and reads. */
const reg = inject('registry');
const BUSYBOX = `${reg}/fixtures/busybox:latest`;
const MULTI = `${reg}/fixtures/multi:latest`;
/** two images of this file's own, sharing their base layer */
const BASE = `${reg}/saveload/base:1`;
const APP = `${reg}/saveload/app:1`;

let src: Awaited<ReturnType<typeof tempRoot>>;
let work: Awaited<ReturnType<typeof tempRoot>>;
const roots: Awaited<ReturnType<typeof tempRoot>>[] = [];
const ids: Record<string, string> = {};
const lines = (s: string) => s.split('\n').filter(Boolean);

async function freshRoot() {
  const r = await tempRoot('load');
  roots.push(r);
  return r.root;
}

async function skopeo(args: string[]) {
  return execa('skopeo', ['--insecure-policy', ...args], { timeout: 300_000 });
}

async function tarNames(file: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readTar(createReadStream(file))) out.push(e.name);
  return out;
}

async function imageIds(root: string): Promise<string[]> {
  return lines((await racker(root, ['images', '-q', '--no-trunc'])).stdout).sort();
}

beforeAll(async () => {
  src = await tempRoot('save');
  work = await tempRoot('save-files');
  const base = busyboxLayer();
  const app = buildLayer([{ type: 'dir', name: 'app/' }, { type: 'file', name: 'app/hello.txt', body: 'hello from app\n' }]);
  for (const [ref, layers] of [[BASE, [base]], [APP, [base, app]]] as const) {
    const dir = path.join(work.root, `layout-${ref.split('/')[2].replace(':', '-')}`);
    await writeOciLayout(dir, { layers: [...layers], config: { Cmd: ['sh'] }, tag: '1' });
    await pushLayout({ host: reg }, dir, '1', ref.slice(reg.length + 1));
  }
  for (const img of [BUSYBOX, MULTI, BASE, APP]) {
    const r = await racker(src.root, ['pull', '-q', '--tls-verify=false', img]);
    expect(r).toMatchObject({ exitCode: 0 });
    ids[img] = r.stdout.trim();
  }
}, 300_000);
afterAll(async () => {
  for (const r of [src, work, ...roots]) await r?.remove();
});

describe('racker save', () => {
  it('writes one docker-archive with two images sharing a base layer, each blob once; skopeo reads it and load restores the ids', async () => {
    const file = path.join(work.root, 'two.tar');
    const r = await racker(src.root, ['save', '-o', file, BASE, APP]);
    expect(r).toMatchObject({ exitCode: 0, stdout: '' });
    const names = await tarNames(file);
    const blobs = names.filter(n => /^blobs\/sha256\/[a-f0-9]{64}$/.test(n));
    expect(new Set(blobs).size).toBe(blobs.length);
    // the base layer once: two configs, two layers
    expect(blobs.length).toBe(4);
    const manifest = JSON.parse(await readFile(file).then(() => execa('tar', ['-xOf', file, 'manifest.json'])).then(x => x.stdout)) as { RepoTags: string[]; Layers: string[] }[];
    expect(manifest.map(m => m.RepoTags)).toEqual([[BASE], [APP]]);
    expect(manifest[1].Layers[0]).toBe(manifest[0].Layers[0]);
    for (const i of [0, 1]) {
      const info = JSON.parse((await skopeo(['inspect', '--config', `docker-archive:${file}:@${i}`])).stdout) as { rootfs: { diff_ids: string[] } };
      expect(info.rootfs.diff_ids.length).toBe(i + 1);
    }
    const dest = await freshRoot();
    const load = await racker(dest, ['load', '-q', '-i', file]);
    expect(load.stderr).toBe('');
    expect(load).toMatchObject({ exitCode: 0 });
    expect(lines(load.stdout)).toEqual([`Loaded image: ${BASE}`, `Loaded image: ${APP}`]);
    expect(await imageIds(dest)).toEqual([ids[BASE], ids[APP]].sort());
    expect((await readdir(path.join(dest, 'layers'))).length).toBe(2);
    const run = await racker(dest, ['run', '--rm', APP, 'cat', '/app/hello.txt']);
    expect(run).toMatchObject({ exitCode: 0, stdout: 'hello from app' });
  }, 300_000);

  it('writes an oci-archive that skopeo copies to a docker-archive racker loads with the same id', async () => {
    const oci = path.join(work.root, 'multi-oci.tar');
    expect((await racker(src.root, ['save', '--format', 'oci-archive', '-o', oci, MULTI])).exitCode).toBe(0);
    const inspected = JSON.parse((await skopeo(['inspect', `oci-archive:${oci}:${MULTI}`])).stdout) as { Layers: string[]; Labels: Record<string, string> };
    expect(inspected.Labels).toEqual({ fixture: 'multi' });
    const docker = path.join(work.root, 'multi-from-oci.tar');
    await skopeo(['copy', `oci-archive:${oci}:${MULTI}`, `docker-archive:${docker}:example.test/copied:v1`]);
    const dest = await freshRoot();
    const load = await racker(dest, ['load', '-q', '-i', docker]);
    expect(load).toMatchObject({ exitCode: 0, stdout: 'Loaded image: example.test/copied:v1' });
    expect(await imageIds(dest)).toEqual([ids[MULTI]]);
    // and racker's own oci-archive loads back, named as saved
    const back = await racker(dest, ['load', '-q', '-i', oci]);
    expect(back).toMatchObject({ exitCode: 0, stdout: `Loaded image: ${MULTI}` });
  }, 300_000);

  it('saving an image by id writes no name; load prints its id', async () => {
    const file = path.join(work.root, 'by-id.tar');
    expect((await racker(src.root, ['save', '-o', file, ids[BUSYBOX].slice(7, 19)])).exitCode).toBe(0);
    const dest = await freshRoot();
    const load = await racker(dest, ['load', '-q', '-i', file]);
    expect(load).toMatchObject({ exitCode: 0, stdout: `Loaded image ID: ${ids[BUSYBOX]}` });
  }, 120_000);

  it('refuses to write an archive to a terminal', async () => {
    const r = await underTerminal(`${RACKER} --root ${src.root} save ${BASE}`);
    expect(r.exitCode).toBe(125);
    expect(r.output).toContain('cowardly refusing to save to a terminal');
    expect(r.output.length).toBeLessThan(400);
  });

  it('an image whose layer blob the store lacks (pulled by an older racker): 125 with the way out, no file', async () => {
    const root = await freshRoot();
    expect((await racker(root, ['pull', '-q', '--tls-verify=false', BASE])).exitCode).toBe(0);
    const blobs = path.join(root, 'blobs', 'sha256');
    const layerBlob = (await readdir(path.join(root, 'layers')))[0];
    await rm(path.join(blobs, layerBlob));
    const file = path.join(work.root, 'old-store.tar');
    const r = await racker(root, ['save', '-o', file, BASE]);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain(`racker pull --force ${BASE}`);
    await expect(stat(file)).rejects.toThrow();
    expect((await racker(root, ['pull', '-q', '--force', '--tls-verify=false', BASE])).exitCode).toBe(0);
    expect((await racker(root, ['save', '-o', file, BASE])).exitCode).toBe(0);
  });

  it('load refuses a terminal as stdin', async () => {
    const r = await underTerminal(`${RACKER} --root ${src.root} load`);
    expect(r.exitCode).toBe(125);
    expect(r.output).toContain('stdin is a terminal');
  });

  it('an unknown image: 125, no file written', async () => {
    const file = path.join(work.root, 'never.tar');
    const r = await racker(src.root, ['save', '-o', file, BUSYBOX, 'no-such-image:here']);
    expect(r.exitCode).toBe(125);
    expect(lines(r.stderr)[0]).toContain('No such image: no-such-image:here');
    await expect(stat(file)).rejects.toThrow();
    expect((await readdir(work.root)).filter(n => n.includes('never'))).toEqual([]);
  });
});

describe('racker load', () => {
  it('loads docker-archive and oci-archive files skopeo writes, from stdin and gzipped too', async () => {
    const docker = path.join(work.root, 'skopeo-docker.tar');
    const oci = path.join(work.root, 'skopeo-oci.tar');
    await skopeo(['copy', '--src-tls-verify=false', `docker://${MULTI}`, `docker-archive:${docker}:example.test/multi:skopeo`]);
    await skopeo(['copy', '--src-tls-verify=false', `docker://${BUSYBOX}`, `oci-archive:${oci}:example.test/busybox:oci`]);
    const dest = await freshRoot();
    const fromStdin = await racker(dest, ['load', '-q'], { input: await readFile(docker) });
    expect(fromStdin).toMatchObject({ exitCode: 0, stdout: 'Loaded image: example.test/multi:skopeo' });
    const gz = path.join(work.root, 'skopeo-oci.tar.gz');
    await writeFile(gz, gzipSync(await readFile(oci)));
    const fromGz = await racker(dest, ['load', '-q', '-i', gz]);
    expect(fromGz).toMatchObject({ exitCode: 0, stdout: 'Loaded image: example.test/busybox:oci' });
    expect(await imageIds(dest)).toEqual([ids[BUSYBOX], ids[MULTI]].sort());
    const run = await racker(dest, ['run', '--rm', 'example.test/busybox:oci', 'echo', 'loaded']);
    expect(run).toMatchObject({ exitCode: 0, stdout: 'loaded' });
  }, 300_000);
});

/** podman is used where installed (apt-get install podman), with a store of the test's own (vfs: no mounts left behind). */
const hasPodman = existsSync('/usr/bin/podman');

describe.skipIf(!hasPodman)('racker save and load with podman', () => {
  async function podman(args: string[], store: string) {
    return execa('podman', ['--root', path.join(store, 'root'), '--runroot', path.join(store, 'run'), '--storage-driver', 'vfs', ...args], { timeout: 300_000 });
  }

  it('podman loads what racker saves, in both formats; racker loads what podman saves, with the same image id', async () => {
    const store = path.join(work.root, 'podman');
    for (const format of ['docker-archive', 'oci-archive'] as const) {
      const file = path.join(work.root, `for-podman-${format}.tar`);
      expect((await racker(src.root, ['save', '--format', format, '-o', file, APP])).exitCode).toBe(0);
      const loaded = await podman(['load', '-q', '-i', file], store);
      expect(loaded.stdout).toContain(`${APP}`);
      const id = (await podman(['image', 'inspect', '--format', '{{.Id}}', APP], store)).stdout.trim();
      expect(`sha256:${id}`).toBe(ids[APP]);
      await podman(['rmi', '-a', '-f'], store);
    }
    await podman(['load', '-q', '-i', path.join(work.root, 'for-podman-docker-archive.tar')], store);
    for (const format of ['docker-archive', 'oci-archive'] as const) {
      const file = path.join(work.root, `from-podman-${format}.tar`);
      await podman(['save', '--format', format, '-o', file, APP], store);
      const dest = await freshRoot();
      const load = await racker(dest, ['load', '-q', '-i', file]);
      expect(load.exitCode).toBe(0);
      expect(load.stdout).toMatch(/^Loaded image/);
      expect(await imageIds(dest)).toEqual([ids[APP]]);
    }
    await podman(['rmi', '-a', '-f'], store);
  }, 600_000);
});

describe('racker load refuses hostile archives', () => {
  const layer = buildLayer([{ type: 'file', name: 'hello', body: 'hi\n' }]);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [layer.diffId] } }));
  const cfgName = `blobs/sha256/${sha256(config).slice(7)}`;
  const layerName = `blobs/sha256/${layer.digest.slice(7)}`;
  const manifest = (over: Record<string, unknown> = {}) => JSON.stringify([{ Config: cfgName, RepoTags: ['example.test/hostile:1'], Layers: [layerName], ...over }]);
  const good: TarEntry[] = [
    { type: 'file', name: cfgName, body: config },
    { type: 'file', name: layerName, body: layer.gz },
  ];
  const cases: [string, TarEntry[], RegExp][] = [
    ['an entry named ../x', [...good, { type: 'file', name: '../escape', body: 'x' }, { type: 'file', name: 'manifest.json', body: manifest() }], /outside the archive/],
    ['an absolute entry name', [...good, { type: 'file', name: '////tmp/escape', body: 'x' }, { type: 'file', name: 'manifest.json', body: manifest() }], /outside the archive/],
    ['a manifest.json that is a symlink out', [...good, { type: 'symlink', name: 'manifest.json', target: '/etc/passwd' }], /points outside/],
    ['a layer that is a symlink climbing out', [{ type: 'file', name: cfgName, body: config }, { type: 'symlink', name: 'layer.tar', target: '../../etc/passwd' }, { type: 'file', name: 'manifest.json', body: manifest({ Layers: ['layer.tar'] }) }], /points outside/],
    ['a blob whose content does not match its name', [{ type: 'file', name: cfgName, body: config }, { type: 'file', name: layerName, body: buildLayer([{ type: 'file', name: 'other', body: 'x' }]).gz }, { type: 'file', name: 'manifest.json', body: manifest() }], /not the one its name says/],
    ['a layer whose content does not match the config', [{ type: 'file', name: cfgName, body: config }, { type: 'file', name: 'layer.tar', body: buildLayer([{ type: 'file', name: 'other', body: 'x' }]).tar }, { type: 'file', name: 'manifest.json', body: manifest({ Layers: ['layer.tar'] }) }], /did not match|does not match/i],
    ['a manifest.json naming a file outside', [...good, { type: 'file', name: 'manifest.json', body: manifest({ Config: '../../etc/passwd' }) }], /not a file in the archive/],
    ['a huge manifest.json', [...good, { type: 'file', name: 'manifest.json', body: Buffer.alloc(5 * 1024 * 1024, 0x20) }], /larger than/],
    ['a device node', [...good, { type: 'char', name: 'dev', major: 1, minor: 3 }, { type: 'file', name: 'manifest.json', body: manifest() }], /is a char/],
  ];
  const climbing = buildLayer([{ type: 'file', name: '../../escape-from-load', body: 'x' }]);
  const climbingConfig = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [climbing.diffId] } }));
  cases.push(['a layer with ../ inside', [
    { type: 'file', name: 'c.json', body: climbingConfig }, { type: 'file', name: 'l.tar', body: climbing.tar },
    { type: 'file', name: 'manifest.json', body: manifest({ Config: 'c.json', Layers: ['l.tar'] }) },
  ], /\.\./]);

  it.each(cases)('%s: 125, one clear line, nothing stored', async (_label, entries, message) => {
    const dest = await freshRoot();
    const file = path.join(work.root, `hostile-${sha256(JSON.stringify(_label)).slice(7, 19)}.tar`);
    await writeFile(file, buildTar(entries));
    const r = await racker(dest, ['load', '-q', '-i', file]);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toMatch(message);
    expect(lines(r.stderr)[0]).toMatch(new RegExp(`^racker: (refusing to load ${file}|read docker-archive|layer)`));
    expect(await imageIds(dest)).toEqual([]);
    const tmp = await readdir(path.join(dest, 'tmp')).catch(() => []);
    expect(tmp).toEqual([]);
    const layers = await readdir(path.join(dest, 'layers')).catch(() => []);
    expect(layers).toEqual([]);
    await rm(file);
  }, 120_000);
});
