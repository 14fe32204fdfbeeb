import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile, mkdir, symlink, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveInRoot, writeFileInRoot, mkdirInRoot } from '../../../src/runtime/rootfs-path.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'racker-unit-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

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
