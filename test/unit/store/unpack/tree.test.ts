import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { lstatSync } from 'node:fs';
import { chmod, chown, mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LayerTree } from '../../../../src/store/unpack/tree.js';
import { LowerView } from '../../../../src/store/unpack/lower-view.js';

describe('LayerTree', () => {
  let dir: string;
  let dest: string;
  let lower: string;
  let tree: LayerTree;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'racker-tree-'));
    dest = path.join(dir, 'dest');
    lower = path.join(dir, 'lower');
    await mkdir(dest);
    await mkdir(path.join(lower, 'usr/bin'), { recursive: true });
    await chown(path.join(lower, 'usr/bin'), 7, 8);
    await chmod(path.join(lower, 'usr/bin'), 0o750);
    await symlink('usr/bin', path.join(lower, 'bin'));
    await symlink('/usr', path.join(lower, 'abs'));
    tree = new LayerTree(dest, new LowerView([lower]));
  });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('follows lower-layer symlinks inside the root and creates directories as the lower layer has them', async () => {
    expect(await tree.resolveDir(['bin', 'sub'], 'entry', true)).toEqual(['usr', 'bin', 'sub']);
    const made = lstatSync(path.join(dest, 'usr/bin'));
    expect([made.mode & 0o7777, made.uid, made.gid]).toEqual([0o750, 7, 8]);
    const fresh = lstatSync(path.join(dest, 'usr/bin/sub'));
    expect([fresh.mode & 0o7777, fresh.uid, fresh.gid]).toEqual([0o755, 0, 0]);
    expect(await tree.resolveDir(['abs', 'bin'], 'entry', false)).toEqual(['usr', 'bin']);
  });

  it('finds nothing without create when no layer has the directory', async () => {
    expect(await tree.resolveDir(['nowhere', 'x'], 'entry', false)).toBeNull();
    expect(lstatSync(path.join(dest, 'nowhere'), { throwIfNoEntry: false })).toBeUndefined();
  });

  it('refuses a path through a symlink or a file of this layer', async () => {
    await symlink('/etc', path.join(dest, 'link'));
    await writeFile(path.join(dest, 'file'), '');
    await expect(tree.resolveDir(['link', 'x'], "entry 'link/x' would be written", true)).rejects.toThrow("entry 'link/x' would be written through symlink 'link'");
    await expect(tree.resolveDir(['file', 'x'], 'entry', true)).rejects.toThrow("through non-directory 'file'");
  });

  it('clears the way for a new entry and remembers that the lower content is deleted', async () => {
    await mkdir(path.join(dest, 'd'));
    await writeFile(path.join(dest, 'd/f'), '');
    expect(await tree.prepare('d', true)).toBe(true);
    expect(await tree.prepare('d', false)).toBe(false);
    expect(lstatSync(path.join(dest, 'd'), { throwIfNoEntry: false })).toBeUndefined();
    expect(tree.hidden.whiteouts.has('d')).toBe(true);
    expect(await tree.prepare('absent', false)).toBe(false);
    expect(tree.hidden.whiteouts.has('absent')).toBe(false);
  });

  it('tells a path below a non-directory from a missing one', async () => {
    await writeFile(path.join(dest, 'f'), '');
    expect(tree.statHere('f/x')).toBe('blocked');
    expect(tree.statHere('missing/x')).toBeNull();
    expect((tree.statHere('f') as { isFile(): boolean }).isFile()).toBe(true);
  });

  it('creates queued FIFOs with their metadata on flush', async () => {
    tree.fifos.set('p', { uid: 3, gid: 4, mode: 0o640, mtime: 1000 });
    await tree.flush();
    const st = lstatSync(path.join(dest, 'p'));
    expect([st.isFIFO(), st.mode & 0o7777, st.uid, st.gid, st.mtimeMs]).toEqual([true, 0o640, 3, 4, 1_000_000]);
    expect(tree.fifos.size).toBe(0);
  });
});
