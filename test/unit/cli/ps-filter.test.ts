import { describe, expect, it } from 'vitest';
import { type HealthState } from '../../../src/engine/health.js';
import { matchesFilters, parsePsFilters } from '../../../src/cli/ps-filter.js';
import { statusText } from '../../../src/cli/racker/ps.js';
import type { ContainerRecord } from '../../../src/model/container.js';

const base = { machine: 'c1', directory: '/s/rootfs', argv: ['sh'], env: [] as [string, string][], tty: false, binds: [], register: false };

describe('ps --filter and STATUS', () => {
  const rec = (name: string, status: 'running' | 'exited', labels?: Record<string, string>, health?: HealthState) => ({
    id: 'a'.repeat(64), name, created: new Date().toISOString(), argv: [], spec: { labels },
    state: { status, startedAt: new Date().toISOString(), health },
  }) as unknown as ContainerRecord;
  it('matches label=KEY, label=KEY=VALUE, name= and status=', () => {
    const c = rec('web-1', 'running', { team: 'a' });
    expect(matchesFilters(c, parsePsFilters(['label=team']))).toBe(true);
    expect(matchesFilters(c, parsePsFilters(['label=team=a']))).toBe(true);
    expect(matchesFilters(c, parsePsFilters(['label=team=b']))).toBe(false);
    expect(matchesFilters(c, parsePsFilters(['name=web', 'status=running']))).toBe(true);
    expect(matchesFilters(c, parsePsFilters(['status=exited', 'status=running']))).toBe(true);
    expect(matchesFilters(c, parsePsFilters(['status=exited']))).toBe(false);
    expect(() => parsePsFilters(['colour=red'])).toThrow(/invalid filter/);
    expect(() => parsePsFilters(['status=sleepy'])).toThrow(/invalid filter/);
  });
  it('shows the health in STATUS as docker', () => {
    expect(statusText(rec('a', 'running', undefined, { status: 'healthy', failingStreak: 0, log: [] }))).toMatch(/^Up .* \(healthy\)$/);
    expect(statusText(rec('a', 'running', undefined, { status: 'starting', failingStreak: 0, log: [] }))).toMatch(/\(health: starting\)$/);
  });
});
