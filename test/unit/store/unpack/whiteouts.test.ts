import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { lstatSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Hidden, isWhiteoutDevice, makeWhiteoutDevices } from '../../../../src/store/unpack/whiteouts.js';

describe('Hidden', () => {
  it('hides deleted paths and everything below them', () => {
    const h = new Hidden();
    h.whiteouts.add('a/b');
    expect(h.hides(['a', 'b'])).toBe(true);
    expect(h.hides(['a', 'b', 'c'])).toBe(true);
    expect(h.hides(['a', 'b'], false)).toBe(false);
    expect(h.hides(['a'])).toBe(false);
    expect(h.hides(['a', 'bc'])).toBe(false);
  });

  it('hides what is below an opaque directory, not the directory itself', () => {
    const h = new Hidden();
    h.opaque.add('d');
    expect(h.hides(['d'])).toBe(false);
    expect(h.hides(['d', 'x'])).toBe(true);
    expect(h.hides(['e', 'x'])).toBe(false);
  });

  it('hides everything below an opaque root', () => {
    const h = new Hidden();
    h.opaque.add('');
    expect(h.hides(['anything'])).toBe(true);
  });
});

describe('makeWhiteoutDevices', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'racker-whiteouts-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('makes character devices 0:0 sharing one inode', async () => {
    await mkdir(path.join(dir, 'd'));
    await makeWhiteoutDevices(dir, ['x', 'd/y', 'd/z z']);
    const stats = ['x', 'd/y', 'd/z z'].map(r => lstatSync(path.join(dir, r)));
    for (const st of stats) expect(isWhiteoutDevice(st)).toBe(true);
    expect(new Set(stats.map(s => s.ino)).size).toBe(1);
    expect(stats[0].nlink).toBe(3);
  });

  it('does nothing for no paths', async () => {
    await makeWhiteoutDevices(dir, []);
    expect(lstatSync(dir).nlink).toBe(2);
  });
});

describe('isWhiteoutDevice', () => {
  it('is false for files and directories', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'racker-whiteouts-'));
    try {
      await writeFile(path.join(dir, 'f'), '');
      expect(isWhiteoutDevice(lstatSync(path.join(dir, 'f')))).toBe(false);
      expect(isWhiteoutDevice(lstatSync(dir))).toBe(false);
      expect(isWhiteoutDevice(lstatSync('/dev/null'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
