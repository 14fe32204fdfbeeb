import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../src/compose/duration.js';

describe('the other short syntaxes', () => {
  it('durations as Go writes them', () => {
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2h45m')).toBe(9_900_000);
    expect(parseDuration('100us')).toBeCloseTo(0.1);
    expect(parseDuration(10)).toBe(10_000);
    expect(() => parseDuration('10x')).toThrow();
    expect(() => parseDuration('')).toThrow();
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(3_600_000)).toBe('1h0m0s');
    expect(formatDuration(500)).toBe('500ms');
    expect(formatDuration(1500)).toBe('1.5s');
  });
});
