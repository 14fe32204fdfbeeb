import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile, mkdir, symlink, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { acquireLock, withLock, holderAlive } from '../../src/lock.js';
import { ImageStore, type ImageRecord } from '../../src/store/image-store.js';
import { resolveInRoot, writeFileInRoot, mkdirInRoot } from '../../src/runtime/rootfs-path.js';
import { formatTable, timeAgo } from '../../src/cli/table.js';
import { sweepStaging } from '../../src/store/atomic.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'racker-unit-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const hex = (c: string) => c.repeat(64);

describe('locks', () => {
  it('serialises holders', async () => {
    const file = path.join(dir, 'x.lock');
    const order: string[] = [];
    await Promise.all([1, 2, 3].map(i => withLock(file, async () => {
      order.push(`in${i}`);
      await new Promise(r => setTimeout(r, 20));
      order.push(`out${i}`);
    })));
    for (let i = 0; i < order.length; i += 2) expect(order[i + 1]).toBe(order[i].replace('in', 'out'));
  });

  it('breaks a lock whose holder is dead', async () => {
    const file = path.join(dir, 'stale.lock');
    await writeFile(file, '999999 12345');
    expect(await holderAlive('999999 12345')).toBe(false);
    const release = await acquireLock(file, { timeoutMs: 2000 });
    expect((await readFile(file, 'utf8')).split(' ')[0]).toBe(String(process.pid));
    await release();
  });

  it('a pid reused by another process does not hold the lock', async () => {
    expect(await holderAlive(`${process.pid} 1`)).toBe(false);
  });
});

describe('image store', () => {
  const rec = (c: string, layers: string[]): ImageRecord => ({
    id: `sha256:${hex(c)}`, manifestDigest: `sha256:${hex('f')}`, repoDigests: [], layers, diffIds: layers,
    config: { rootfs: { type: 'layers', diff_ids: layers } }, size: 1, pulledAt: '2026-01-01T00:00:00Z', source: 'test',
  });

  it('tags, finds by name, id and prefix, and untags', async () => {
    const s = new ImageStore(dir);
    await s.layout.ensure();
    await s.writeImage(rec('1', []));
    await s.writeImage(rec('2', []));
    await s.tag(['docker.io/library/a:latest'], `sha256:${hex('1')}`);
    expect((await s.find('a', 'docker.io/library/a:latest'))?.id).toBe(`sha256:${hex('1')}`);
    expect((await s.find(hex('2').slice(0, 6)))?.id).toBe(`sha256:${hex('2')}`);
    expect(await s.find('nothing')).toBeUndefined();
    await s.untag(['docker.io/library/a:latest']);
    expect(await s.readTags()).toEqual({});
  });

  it('removing an image deletes only layers nothing else uses', async () => {
    const s = new ImageStore(dir);
    await s.layout.ensure();
    const [la, lb, lc] = ['a', 'b', 'c'].map(c => `sha256:${hex(c)}`);
    for (const l of [la, lb, lc]) {
      await mkdir(path.join(s.layout.layerDir(l), 'fs'), { recursive: true });
      await writeFile(path.join(s.layout.layerDir(l), 'layer.json'), '{}');
    }
    await s.writeImage(rec('1', [la, lb]));
    await s.writeImage(rec('2', [la]));
    const removed = await s.removeImage(`sha256:${hex('1')}`, new Set([lc]));
    expect(removed).toEqual([lb]);
    expect((await readdir(s.layout.layersDir)).sort()).toEqual([hex('a'), hex('c')]);
  });
});

describe('paths inside a rootfs', () => {
  it('resolves absolute and climbing symlinks inside the root', async () => {
    const root = path.join(dir, 'root');
    await mkdir(path.join(root, 'etc'), { recursive: true });
    await symlink('/etc', path.join(root, 'abs'));
    await symlink('../../../..', path.join(root, 'etc', 'up'));
    await symlink(dir, path.join(root, 'host'));
    expect(await resolveInRoot(root, '/abs/passwd')).toBe(path.join(root, 'etc/passwd'));
    expect(await resolveInRoot(root, '/etc/up/x')).toBe(path.join(root, 'x'));
    expect(await resolveInRoot(root, '/host/secret')).toBe(path.join(root, dir.slice(1), 'secret'));
    expect(await resolveInRoot(root, '/missing/../../../y')).toBe(path.join(root, 'y'));
  });

  it('detects symlink loops', async () => {
    const root = path.join(dir, 'root');
    await mkdir(root);
    await symlink('b', path.join(root, 'a'));
    await symlink('a', path.join(root, 'b'));
    await expect(resolveInRoot(root, '/a/x')).rejects.toThrow(/too many levels/);
  });

  it('replaces a symlinked file instead of writing through it', async () => {
    const root = path.join(dir, 'root');
    await mkdir(path.join(root, 'etc'), { recursive: true });
    const outside = path.join(dir, 'outside');
    await writeFile(outside, 'host');
    await symlink(outside, path.join(root, 'etc', 'hostname'));
    await writeFileInRoot(root, '/etc/hostname', 'box\n');
    expect(await readFile(outside, 'utf8')).toBe('host');
    expect(await readFile(path.join(root, 'etc/hostname'), 'utf8')).toBe('box\n');
    const made = await mkdirInRoot(root, '/a/b/c');
    expect(made).toBe(path.join(root, 'a/b/c'));
  });
});

describe('tables', () => {
  it('aligns columns', () => {
    expect(formatTable(['A', 'BB'], [['xxx', 'y']])).toBe('A     BB\nxxx   y\n');
  });
  it('says how long ago', () => {
    const now = Date.parse('2026-01-10T00:00:00Z');
    expect(timeAgo('2026-01-09T23:59:00Z', now)).toBe('1 minute ago');
    expect(timeAgo('2026-01-03T00:00:00Z', now)).toBe('1 week ago');
    expect(timeAgo('nope', now)).toBe('unknown');
  });
});

describe('sweepStaging', () => {
  it('removes what dead processes left, keeps what live ones are writing', async () => {
    const staging = path.join(dir, 'tmp');
    await mkdir(path.join(staging, 'layer-abc.2147483646.0123abcd'), { recursive: true });
    await writeFile(path.join(staging, 'layer-abc.2147483646.0123abcd', 'f'), 'x');
    await writeFile(path.join(staging, `.tags.json.${process.pid}.89abcdef`), 'x');
    await writeFile(path.join(staging, 'unrelated'), 'x');
    expect(await sweepStaging(staging)).toBe(1);
    expect((await readdir(staging)).sort()).toEqual([`.tags.json.${process.pid}.89abcdef`, 'unrelated']);
  });
});
