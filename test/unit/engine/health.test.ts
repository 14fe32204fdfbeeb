import { describe, expect, it } from 'vitest';
import { nextHealth, type HealthState } from '../../../src/engine/health.js';

const base = { machine: 'c1', directory: '/s/rootfs', argv: ['sh'], env: [] as [string, string][], tty: false, binds: [], register: false };

describe('health', () => {
  const r = (exitCode: number) => ({ start: 's', end: 'e', exitCode, output: '' });
  const starting: HealthState = { status: 'starting', failingStreak: 0, log: [] };
  it('goes healthy on success, unhealthy after retries failures, ignores failures in the start period', () => {
    expect(nextHealth(starting, r(0), false, 3).status).toBe('healthy');
    let h = nextHealth(starting, r(1), false, 2);
    expect(h).toMatchObject({ status: 'starting', failingStreak: 1 });
    h = nextHealth(h, r(1), false, 2);
    expect(h).toMatchObject({ status: 'unhealthy', failingStreak: 2 });
    expect(nextHealth(starting, r(1), true, 1)).toMatchObject({ status: 'starting', failingStreak: 0 });
    let many = starting;
    for (let i = 0; i < 9; i++) many = nextHealth(many, r(i % 2), false, 3);
    expect(many.log).toHaveLength(5);
  });
});
