import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { racker, tempRoot } from '../helpers/cli.js';
import { writeOciLayout } from '../helpers/oci-layout.js';
import { busyboxLayer } from '../helpers/fixture-images.js';
import { buildLayer, type TarEntry, type BuiltLayer } from '../helpers/tar-builder.js';
import { pushLayout, tamperBlob } from '../helpers/registry.js';

/**
 * Each hostile layer from shared/HOSTILE-INPUTS.md, pulled through the CLI.
 * Every case: the host sentinel is untouched, and either the pull fails with a
 * clear message and stores nothing, or the documented result is inside the root.
 */
let t: Awaited<ReturnType<typeof tempRoot>>;
let victim: string;
beforeAll(async () => {
  t = await tempRoot('pull-hostile');
  victim = path.join(t.root, 'victim');
  await mkdir(victim);
  await writeFile(path.join(victim, 'precious'), 'untouched\n');
});
afterAll(async () => { await t.remove(); });

async function victimUntouched(): Promise<void> {
  expect((await readdir(victim)).sort()).toEqual(['precious']);
  expect(await readFile(path.join(victim, 'precious'), 'utf8')).toBe('untouched\n');
}

let n = 0;
async function pullLayers(layers: BuiltLayer[]) {
  const dir = path.join(t.root, 'layouts', String(++n));
  await writeOciLayout(dir, { layers, tag: 'latest' });
  const store = path.join(t.root, 'stores', String(n));
  const r = await racker(store, ['pull', `oci:${dir}:latest`]);
  return { ...r, store };
}

async function expectRefused(layers: BuiltLayer[], message: RegExp) {
  const r = await pullLayers(layers);
  expect(r.stderr).toMatch(message);
  expect(r.exitCode).toBe(125);
  expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  // nothing half-made is visible: no image, no tmp leftovers
  expect(await readdir(path.join(r.store, 'images'))).toEqual([]);
  expect(await readdir(path.join(r.store, 'tmp'))).toEqual([]);
  await victimUntouched();
}

const L = (entries: TarEntry[]) => buildLayer(entries);

describe('hostile layers', () => {
  it('names with ../', () => expectRefused([L([{ type: 'file', name: '../../escape', body: 'x' }])], /escapes/));

  it('names with a/../../x', () => expectRefused([L([{ type: 'file', name: 'a/../../x', body: 'x' }])], /escapes/));

  it('absolute names stay inside the root', async () => {
    const r = await pullLayers([L([{ type: 'file', name: `////${victim.slice(1)}/abs`, body: 'inside' }])]);
    expect(r.exitCode).toBe(0);
    await victimUntouched();
  });

  it('symlink then a write through it, in one layer', () => expectRefused([L([
    { type: 'dir', name: 'foo/' },
    { type: 'symlink', name: 'foo', target: victim },
    { type: 'file', name: 'foo/bar', body: 'x' },
  ])], /through symlink/));

  it('climbing symlink chain then a file through it', () => expectRefused([L([
    { type: 'symlink', name: 'go_up', target: '..' },
    { type: 'symlink', name: 'go_up/escape', target: '../victim' },
    { type: 'file', name: 'go_up/escape/precious', body: 'x' },
  ])], /through symlink/));

  it('symlink in a lower layer, a write through it in the next', async () => {
    const r = await pullLayers([L([{ type: 'symlink', name: 'etc', target: victim }]), L([{ type: 'file', name: 'etc/f', body: 'x' }])]);
    expect(r.exitCode).toBe(0);
    await victimUntouched();
  });

  it('absolute hardlink', () => expectRefused([L([{ type: 'hardlink', name: 'h', target: path.join(victim, 'precious') }])], /hardlink|escapes|not found|outside/i));

  it('.. hardlink', () => expectRefused([L([{ type: 'hardlink', name: 'h', target: '../victim/precious' }])], /escapes/));

  it('hardlink through a chain of climbing symlinks', () => expectRefused([L([
    { type: 'dir', name: 'c/' },
    { type: 'symlink', name: 'c/up', target: '../..' },
    { type: 'symlink', name: 'escape', target: 'c/up/../..' },
    { type: 'hardlink', name: 'h', target: 'escape/victim/precious' },
  ])], /symlink|escapes|hardlink/i));

  it('whiteout whose path escapes', () => expectRefused([L([{ type: 'file', name: 'a/../../.wh.victim' }])], /escapes|invalid whiteout/));

  it('invalid whiteout names', () => expectRefused([L([{ type: 'file', name: '.wh..' }])], /invalid whiteout/));

  it('whiteout under a symlink from a lower layer removes nothing on the host', async () => {
    const r = await pullLayers([L([{ type: 'symlink', name: 'link', target: victim }]), L([{ type: 'file', name: 'link/.wh.precious' }])]);
    await victimUntouched();
    expect([0, 125]).toContain(r.exitCode);
  });

  it('opaque whiteout under a lower-layer symlink clears nothing on the host', async () => {
    const r = await pullLayers([L([{ type: 'symlink', name: 'link', target: victim }]), L([{ type: 'file', name: 'link/.wh..wh..opq' }])]);
    await victimUntouched();
    expect([0, 125]).toContain(r.exitCode);
  });

  it('a root entry that changes type', () => expectRefused([L([{ type: 'symlink', name: './', target: victim }])], /root/));

  it('device nodes are skipped, not created', async () => {
    const r = await pullLayers([busyboxLayer(), L([{ type: 'char', name: 'dev/mem2', major: 1, minor: 1 }, { type: 'block', name: 'dev/sda9', major: 8, minor: 9 }])]);
    expect(r.exitCode).toBe(0);
    const layers = await readdir(path.join(r.store, 'layers'));
    for (const l of layers) {
      const found = await execa('find', [path.join(r.store, 'layers', l, 'fs'), '-type', 'b', '-o', '-type', 'c', '!', '-name', '*.wh.*'], { reject: false });
      expect(found.stdout.split('\n').filter(x => x && !x.endsWith('/dev'))).toEqual([]);
    }
  });

  it('a truncated gzip is refused and nothing is stored', async () => {
    const good = L([{ type: 'file', name: 'big', body: Buffer.alloc(200_000, 7) }]);
    const gz = good.gz.subarray(0, good.gz.length - 40);
    const { createHash } = await import('node:crypto');
    const layer = { ...good, gz, digest: 'sha256:' + createHash('sha256').update(gz).digest('hex') };
    await expectRefused([layer], /corrupt|truncated|unexpected end/i);
  });

  it('a blob that does not match its digest is refused and nothing is stored', async () => {
    const reg = inject('registry');
    const dir = path.join(t.root, 'layouts', 'tamper');
    const layer = L([{ type: 'file', name: 'data', body: 'original bytes' }]);
    await writeOciLayout(dir, { layers: [layer], tag: 'latest' });
    await pushLayout({ host: reg, storageDir: inject('registryStorage') } as never, dir, 'latest', 'hostile/tampered:latest');
    await tamperBlob({ host: reg, storageDir: inject('registryStorage') } as never, layer.digest);
    const store = path.join(t.root, 'stores', 'tamper');
    const r = await racker(store, ['pull', '--tls-verify=false', `${reg}/hostile/tampered:latest`]);
    expect(r.stderr).toMatch(/digest mismatch/);
    expect(r.exitCode).toBe(125);
    expect(await readdir(path.join(store, 'layers'))).toEqual([]);
    expect(await readdir(path.join(store, 'tmp'))).toEqual([]);
  });
});
