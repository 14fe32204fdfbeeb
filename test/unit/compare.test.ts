import { describe, expect, it } from 'vitest';
import { byIPv4, byText } from '../../src/compare.js';

describe('orderings', () => {
  it('byText is code-point order', () => {
    expect(['b', 'a', 'B', 'a1', '2026-12-01T10:00:00Z', '2026-11-30T10:00:00Z'].sort(byText))
      .toEqual(['2026-11-30T10:00:00Z', '2026-12-01T10:00:00Z', 'B', 'a', 'a1', 'b']);
  });
  it('byIPv4 orders addresses by their numbers, anything else after them', () => {
    expect(['10.0.0.10', 'x', '10.0.0.9', '9.255.0.1', '10.0.1.2'].sort(byIPv4)).toEqual(['9.255.0.1', '10.0.0.9', '10.0.0.10', '10.0.1.2', 'x']);
  });
});
