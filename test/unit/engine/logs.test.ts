import { describe, expect, it } from 'vitest';
import { RackerError } from '../../../src/errors.js';
import { parseSince } from '../../../src/engine/logs.js';

describe('logs --since', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  it('takes durations, unix times and RFC 3339', () => {
    expect(parseSince('10m', now).toISOString()).toBe('2026-01-01T11:50:00.000Z');
    expect(parseSince('1h30m', now).toISOString()).toBe('2026-01-01T10:30:00.000Z');
    // Go's durations, as --health-interval takes them (src/units.ts)
    expect(parseSince('1.5h', now).toISOString()).toBe('2026-01-01T10:30:00.000Z');
    expect(parseSince('500ms', now).toISOString()).toBe('2026-01-01T11:59:59.500Z');
    expect(parseSince('1767225600', now).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(parseSince('2026-01-01T11:00:00Z', now).toISOString()).toBe('2026-01-01T11:00:00.000Z');
    expect(() => parseSince('yesterday', now)).toThrow(/invalid --since/);
  });
  it('takes seconds or hours alone and fractional unix times', () => {
    expect(parseSince('45s', now).toISOString()).toBe('2026-01-01T11:59:15.000Z');
    expect(parseSince('2h', now).toISOString()).toBe('2026-01-01T10:00:00.000Z');
    expect(parseSince('1767225600.5', now).toISOString()).toBe('2026-01-01T00:00:00.500Z');
  });
  it('refuses anything else with 125 and a hint, the empty string too', () => {
    for (const v of ['', '10x', '1d', '-5m', 'm']) {
      let err: unknown;
      try { parseSince(v, now); } catch (e) { err = e; }
      expect(err, v).toBeInstanceOf(RackerError);
      expect((err as RackerError).message).toBe(`invalid --since '${v}'`);
      expect((err as RackerError).exitCode).toBe(125);
      expect((err as RackerError).hint).toMatch(/a duration like 10m/);
    }
  });
});
