import { describe, expect, it } from 'vitest';
import { randomHex } from '../../src/random.js';

describe('randomHex', () => {
  it('gives the bytes asked for, as hex, different each time', () => {
    const ids = Array.from({ length: 50 }, () => randomHex(32));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(ids).size).toBe(50);
    expect(randomHex(3)).toMatch(/^[0-9a-f]{6}$/);
  });
});
