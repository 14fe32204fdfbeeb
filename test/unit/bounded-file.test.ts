import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileRefused, readBoundedFileSync } from '../../src/bounded-file.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(path.join(tmpdir(), 'bounded-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('readBoundedFileSync', () => {
  it('reads a regular file within the limit', async () => {
    await writeFile(path.join(dir, 'ok'), 'A=1\n');
    expect(readBoundedFileSync(path.join(dir, 'ok'), 4)).toBe('A=1\n');
  });

  it('refuses a larger file, a directory and a device before reading', async () => {
    await writeFile(path.join(dir, 'big'), 'A=12\n');
    expect(() => readBoundedFileSync(path.join(dir, 'big'), 4)).toThrow(new FileRefused('larger than 4 bytes'));
    expect(() => readBoundedFileSync(dir, 4)).toThrow(new FileRefused('it is a directory'));
    expect(() => readBoundedFileSync('/dev/zero', 4)).toThrow(new FileRefused('not a regular file or a pipe'));
  });

  it('leaves a missing file to the caller as ENOENT', () => {
    expect(() => readBoundedFileSync(path.join(dir, 'none'), 4)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
