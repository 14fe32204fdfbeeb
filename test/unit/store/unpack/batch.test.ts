import { describe, it, expect } from 'vitest';
import { argChunks } from '../../../../src/store/unpack/batch.js';

describe('argChunks', () => {
  it('keeps everything in one chunk while it is small', () => {
    expect(argChunks(['a', 'b', 'c'])).toEqual([['a', 'b', 'c']]);
    expect(argChunks([])).toEqual([]);
  });

  it('splits at 64 KiB of path bytes, in order, losing nothing', () => {
    const items = Array.from({ length: 300 }, (_, i) => `${String(i).padStart(3, '0')}-${'é'.repeat(500)}`);
    const chunks = argChunks(items);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.flat()).toEqual(items);
    for (const c of chunks) expect(c.reduce((n, s) => n + Buffer.byteLength(s) + 1, 0)).toBeLessThanOrEqual(64 * 1024);
  });

  it('gives an item longer than the limit a chunk of its own', () => {
    const long = 'x'.repeat(70 * 1024);
    expect(argChunks(['a', long, 'b'])).toEqual([['a'], [long], ['b']]);
  });
});
