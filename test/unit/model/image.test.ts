import { describe, expect, it } from 'vitest';
import { shortId } from '../../../src/model/image.js';

describe('shortId', () => {
  it('shortens a container id (64 hex) to its first 12 digits', () => {
    const id = '0123456789abcdef'.repeat(4);
    expect(shortId(id)).toBe('0123456789ab');
  });

  it('shortens an image id or digest to 12 hex digits after the algorithm', () => {
    expect(shortId(`sha256:${'0123456789abcdef'.repeat(4)}`)).toBe('0123456789ab');
    expect(shortId(`sha512:${'b2'.repeat(64)}`)).toBe('b2b2b2b2b2b2');
  });
});
