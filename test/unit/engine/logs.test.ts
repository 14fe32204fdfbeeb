import { describe, expect, it } from 'vitest';
import { parseSince } from '../../../src/engine/logs.js';

describe('logs --since', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  it('takes durations, unix times and RFC 3339', () => {
    expect(parseSince('10m', now).toISOString()).toBe('2026-01-01T11:50:00.000Z');
    expect(parseSince('1h30m', now).toISOString()).toBe('2026-01-01T10:30:00.000Z');
    expect(parseSince('1767225600', now).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(parseSince('2026-01-01T11:00:00Z', now).toISOString()).toBe('2026-01-01T11:00:00.000Z');
    expect(() => parseSince('yesterday', now)).toThrow(/invalid --since/);
  });
});
