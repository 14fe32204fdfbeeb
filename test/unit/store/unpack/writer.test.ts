import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { LayerWriter } from '../../../../src/store/unpack/writer.js';
import { LowerView } from '../../../../src/store/unpack/lower-view.js';
import { readTar } from '../../../../src/image/tar-reader.js';
import { buildTar, type TarEntry } from '../../../helpers/tar-builder.js';

describe('LayerWriter', () => {
  let dir: string;
  let dest: string;
  let lower: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'racker-writer-'));
    dest = path.join(dir, 'dest');
    lower = path.join(dir, 'lower');
    await mkdir(dest);
    await mkdir(path.join(lower, 'etc'), { recursive: true });
    await writeFile(path.join(lower, 'etc/old'), 'old');
    await writeFile(path.join(lower, 'etc/shared'), 'lower content');
  });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  async function write(entries: TarEntry[]): Promise<LayerWriter> {
    const w = new LayerWriter(dest, new LowerView([lower]));
    for await (const e of readTar(Readable.from([buildTar(entries)]))) await w.apply(e);
    await w.finish();
    return w;
  }

  it('writes each entry type with its metadata and counts what it skips', async () => {
    const w = await write([
      { type: 'dir', name: 'd', mode: 0o750, uid: 5, gid: 6, mtime: 100 },
      { type: 'file', name: 'd/f', body: 'hello', mode: 0o4755, uid: 5, gid: 6, mtime: 200, xattrs: { 'user.k': 'v', 'trusted.overlay.opaque': 'y' } },
      { type: 'symlink', name: 'd/l', target: '/nowhere', mtime: 300 },
      { type: 'hardlink', name: 'd/h', target: 'd/f' },
      { type: 'fifo', name: 'd/p', mode: 0o600 },
      { type: 'char', name: 'd/null', major: 1, minor: 3 },
    ]);
    const f = lstatSync(path.join(dest, 'd/f'));
    expect([readFileSync(path.join(dest, 'd/f'), 'utf8'), f.mode & 0o7777, f.uid, f.gid, f.mtimeMs, f.nlink]).toEqual(['hello', 0o4755, 5, 6, 200_000, 2]);
    expect(lstatSync(path.join(dest, 'd/h')).ino).toBe(f.ino);
    expect(readlinkSync(path.join(dest, 'd/l'))).toBe('/nowhere');
    expect(lstatSync(path.join(dest, 'd/p')).isFIFO()).toBe(true);
    expect(lstatSync(path.join(dest, 'd/null'), { throwIfNoEntry: false })).toBeUndefined();
    const d = lstatSync(path.join(dest, 'd'));
    expect([d.mode & 0o7777, d.uid, d.mtimeMs]).toEqual([0o750, 5, 100_000]);
    expect(execFileSync('getfattr', ['-d', '-m', '-', '--absolute-names', path.join(dest, 'd/f')]).toString()).toContain('user.k="v"');
    expect([w.entries, w.skippedDevices, w.droppedXattrs]).toEqual([6, 1, 1]);
  });

  it('turns whiteouts of lower content into devices and opaque markers into the xattr', async () => {
    await write([
      { type: 'file', name: 'etc/.wh.old', body: '' },
      { type: 'file', name: 'etc/.wh.never-there', body: '' },
      { type: 'dir', name: 'var' },
      { type: 'file', name: 'var/.wh..wh..opq', body: '' },
    ]);
    const wh = lstatSync(path.join(dest, 'etc/old'));
    expect([wh.isCharacterDevice(), wh.rdev]).toEqual([true, 0]);
    expect(lstatSync(path.join(dest, 'etc/never-there'), { throwIfNoEntry: false })).toBeUndefined();
    expect(execFileSync('getfattr', ['-n', 'trusted.overlay.opaque', '--only-values', path.join(dest, 'var')]).toString()).toBe('y');
  });

  it('copies a lower-layer file for a hardlink to it, once', async () => {
    await write([
      { type: 'hardlink', name: 'a', target: 'etc/shared' },
      { type: 'hardlink', name: 'b', target: 'etc/shared' },
    ]);
    expect(readFileSync(path.join(dest, 'a'), 'utf8')).toBe('lower content');
    expect(lstatSync(path.join(dest, 'b')).ino).toBe(lstatSync(path.join(dest, 'a')).ino);
  });

  it.each<[TarEntry[], RegExp]>([
    [[{ type: 'file', name: '../escape', body: 'x' }], /escapes the root/],
    [[{ type: 'symlink', name: 'l', target: '/etc' }, { type: 'file', name: 'l/passwd', body: 'x' }], /through symlink 'l'/],
    [[{ type: 'file', name: '.', body: 'x' }], /refusing to change the type of the root/],
    [[{ type: 'hardlink', name: 'h', target: 'missing' }], /which does not exist/],
    [[{ type: 'dir', name: 'd' }, { type: 'hardlink', name: 'h', target: 'd' }], /hardlink to directory/],
    [[{ type: 'file', name: 'd/.wh..', body: '' }], /invalid whiteout name/],
  ])('refuses %j', async (entries, why) => {
    await expect(write(entries)).rejects.toThrow(why);
  });
});
