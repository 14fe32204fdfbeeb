import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, stat, symlink, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { etcBinds, writeEtcFile } from '../../../src/runtime/etc-files.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'etc-files-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('writeEtcFile', () => {
  it('rewrites the file in place: the inode a bind mount holds gets the new content', async () => {
    await writeEtcFile(dir, 'hosts', 'a long first version\n');
    const before = await stat(path.join(dir, 'hosts'));
    await writeEtcFile(dir, 'hosts', 'short\n');
    const after = await stat(path.join(dir, 'hosts'));
    expect(after.ino).toBe(before.ino);
    expect(await readFile(path.join(dir, 'hosts'), 'utf8')).toBe('short\n');
  });

  it('with create: false, a container that never ran gets no file', async () => {
    await writeEtcFile(dir, 'hosts', 'x\n', { create: false });
    expect(await readdir(dir)).toEqual([]);
  });

  it('never follows a symlink in its place', async () => {
    const elsewhere = path.join(dir, 'elsewhere');
    await writeFile(elsewhere, 'kept\n');
    await symlink(elsewhere, path.join(dir, 'resolv.conf'));
    await expect(writeEtcFile(dir, 'resolv.conf', 'x\n')).rejects.toThrow();
    expect(await readFile(elsewhere, 'utf8')).toBe('kept\n');
  });
});

describe('etcBinds', () => {
  it('binds both files from the container directory, read-write as docker does', () => {
    expect(etcBinds('/s/containers/c')).toEqual([
      { source: '/s/containers/c/hosts', target: '/etc/hosts', readOnly: false },
      { source: '/s/containers/c/resolv.conf', target: '/etc/resolv.conf', readOnly: false },
    ]);
  });
});
