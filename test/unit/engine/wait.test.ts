import { describe, expect, it } from 'vitest';
import { containerRecord } from '../../helpers/container-record.js';
import { conditionTest } from '../../../src/engine/wait.js';
import type { ContainerState } from '../../../src/model/container.js';

const record = containerRecord;
const running = (startedAt = 'T1', health?: 'healthy' | 'unhealthy' | 'starting') => record({
  status: 'running', nspawnPid: 1, startedAt,
  ...(health ? { health: { status: health, failingStreak: 0, log: [{ start: '', end: '', exitCode: 1, output: 'no\nreply\n' }] } } : {}),
} as ContainerState);
const exited = (startedAt = 'T1') => record({ status: 'exited', exitCode: 3, startedAt });

describe('docker wait conditions as tests of the record', () => {
  it('not-running: met by an exit or removal', () => {
    const t = conditionTest(running(), 'not-running');
    expect(t(running())).toBe(false);
    expect(t(exited())).toBe(true);
    expect(t(undefined)).toBe(true);
  });

  it('next-exit of an exited container: only an exit of a later run', () => {
    const t = conditionTest(exited('T1'), 'next-exit');
    expect(t(exited('T1'))).toBe(false);
    expect(t(running('T2'))).toBe(false);
    expect(t(exited('T2'))).toBe(true);
  });

  it('healthy: met when healthy; an exit or removal ends the wait with one line', () => {
    const t = conditionTest(running(), 'healthy');
    expect(t(running('T1', 'starting'))).toBe(false);
    expect(t(running('T1', 'unhealthy'))).toBe(false);
    expect(t(running('T1', 'healthy'))).toBe(true);
    expect(() => t(exited())).toThrow(/exited \(3\) before it was healthy/);
    expect(() => t(undefined)).toThrow(/removed before it was healthy/);
  });

  it('healthy with failUnhealthy: unhealthy ends the wait, with the last line of the check', () => {
    const t = conditionTest(running(), 'healthy', { failUnhealthy: true });
    expect(() => t(running('T1', 'unhealthy'))).toThrow(/is unhealthy: reply/);
  });
});
