import { describe, expect, it } from 'vitest';
import { filterLog, type LogLine } from '../../../src/runtime/container-log.js';

describe('logs --since', () => {
  it('filters by time, then keeps the tail', () => {
    const lines: LogLine[] = [1, 2, 3, 4].map(i => ({ t: `2026-01-01T00:00:0${i}Z`, s: 'stdout', l: `l${i}` }));
    expect(filterLog(lines, { tail: 2 }).map(l => l.l)).toEqual(['l3', 'l4']);
    expect(filterLog(lines, { since: new Date('2026-01-01T00:00:02Z') }).map(l => l.l)).toEqual(['l2', 'l3', 'l4']);
    expect(filterLog(lines, { tail: 0 })).toEqual([]);
  });
});
