import { describe, expect, it } from 'vitest';
import { parsePruneFilters, parseUntil, pruneMatches } from '../../../src/engine/prune-filter.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');

describe('parseUntil', () => {
  it('reads Go durations back from now, unix seconds and RFC 3339 times', () => {
    expect(parseUntil('24h', NOW)).toBe(NOW - 86_400_000);
    expect(parseUntil('1h30m', NOW)).toBe(NOW - 5_400_000);
    expect(parseUntil('1700000000', NOW)).toBe(1_700_000_000_000);
    expect(parseUntil('2026-01-31T12:00:00Z', NOW)).toBe(Date.parse('2026-01-31T12:00:00Z'));
    expect(parseUntil('2026-01-31', NOW)).toBe(Date.parse('2026-01-31'));
  });

  it('refuses anything else with one clear error', () => {
    for (const v of ['', 'yesterday', 'h', '-1h', '2026-13-45x']) {
      expect(() => parseUntil(v, NOW)).toThrow(/invalid filter 'until=/);
    }
  });
});

describe('parsePruneFilters and pruneMatches', () => {
  it('until keeps what was created at or after the time', () => {
    const f = parsePruneFilters(['until=24h'], NOW);
    expect(pruneMatches(f, '2026-05-30T00:00:00Z', {})).toBe(true);
    expect(pruneMatches(f, '2026-06-01T00:00:00Z', {})).toBe(false);
    expect(pruneMatches(f, undefined, {})).toBe(false);
  });

  it('label and label! with or without a value, all of them must hold', () => {
    const f = parsePruneFilters(['label=tier', 'label!=keep=yes'], NOW);
    expect(pruneMatches(f, undefined, { tier: 'web' })).toBe(true);
    expect(pruneMatches(f, undefined, { tier: 'web', keep: 'yes' })).toBe(false);
    expect(pruneMatches(f, undefined, { tier: 'web', keep: 'no' })).toBe(true);
    expect(pruneMatches(f, undefined, {})).toBe(false);
    expect(pruneMatches(parsePruneFilters(['label=a=b=c']), undefined, { a: 'b=c' })).toBe(true);
    expect(pruneMatches(parsePruneFilters([]), undefined, null)).toBe(true);
  });

  it('refuses unknown keys, a second until and an empty label', () => {
    expect(() => parsePruneFilters(['dangling=true'])).toThrow(/invalid filter 'dangling=true'/);
    expect(() => parsePruneFilters(['until=1h', 'until=2h'])).toThrow(/once/);
    expect(() => parsePruneFilters(['label='])).toThrow(/no label/);
    expect(() => parsePruneFilters(['label'])).toThrow(/invalid filter/);
  });
});
