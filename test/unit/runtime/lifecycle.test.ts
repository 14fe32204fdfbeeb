import { describe, expect, it } from 'vitest';
import { containerRecord } from '../../helpers/container-record.js';
import { RackerError } from '../../../src/errors.js';
import { can, isRunning, mustBeAbleTo, toExited, toRunning, type Action, type ContainerStatus } from '../../../src/runtime/lifecycle.js';
import type { ContainerRecord } from '../../../src/model/container.js';

const record = containerRecord;

const created = () => record({ status: 'created' });
const running = () => record({ status: 'running', nspawnPid: 4242, supervisor: '4240 99', startedAt: '2026-01-01T00:01:00Z' });
const exited = () => record({ status: 'exited', exitCode: 3, startedAt: '2026-01-01T00:01:00Z', finishedAt: '2026-01-01T00:02:00Z' });

function refusal(fn: () => unknown): RackerError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RackerError);
    expect((err as RackerError).exitCode).toBe(125);
    return err as RackerError;
  }
  throw new Error('expected a refusal');
}

describe('allowed actions per state', () => {
  const table: Record<ContainerStatus, Record<Action, boolean>> = {
    created: { start: true, stop: false, kill: false, exec: false, remove: true },
    running: { start: false, stop: true, kill: true, exec: true, remove: false },
    exited: { start: true, stop: false, kill: false, exec: false, remove: true },
  };
  const of: Record<ContainerStatus, () => ContainerRecord> = { created, running, exited };

  it('created and exited can start and be removed; only running can be stopped, killed or exec-ed into', () => {
    for (const [status, actions] of Object.entries(table) as [ContainerStatus, Record<Action, boolean>][]) {
      for (const [action, allowed] of Object.entries(actions) as [Action, boolean][]) {
        expect(can(of[status](), action), `${action} when ${status}`).toBe(allowed);
        if (allowed) expect(() => mustBeAbleTo(of[status](), action)).not.toThrow();
      }
    }
  });

  it('a refused action says what to do instead, with 125', () => {
    const rm = refusal(() => mustBeAbleTo(running(), 'remove'));
    expect(rm.message).toBe('cannot remove container web: it is running');
    expect(rm.hint).toBe('stop it first (racker stop web) or use -f');
    expect(refusal(() => mustBeAbleTo(running(), 'start')).message).toBe('container web is already running');
    for (const action of ['stop', 'kill', 'exec'] as const) {
      for (const rec of [created(), exited()]) {
        const err = refusal(() => mustBeAbleTo(rec, action));
        expect(err.message).toBe('container web is not running');
        expect(err.hint).toBe('start it first: racker start web');
      }
    }
  });

  it('is running only with an nspawn pid', () => {
    expect(isRunning(running())).toBe(true);
    expect(isRunning(record({ status: 'running' }))).toBe(false);
    expect(isRunning(created())).toBe(false);
    expect(isRunning(exited())).toBe(false);
  });
});

describe('transitions', () => {
  it('toRunning: from created or exited, dropping the last exit', () => {
    for (const rec of [created(), exited()]) {
      const before = structuredClone(rec);
      const next = toRunning(rec, { nspawnPid: 7, supervisor: '6 1', startedAt: '2026-01-02T00:00:00Z' });
      expect(next.state).toEqual({ status: 'running', nspawnPid: 7, supervisor: '6 1', startedAt: '2026-01-02T00:00:00Z' });
      expect(next.state.exitCode).toBeUndefined();
      expect(next.state.finishedAt).toBeUndefined();
      expect({ ...next, state: rec.state }).toEqual(rec);
      expect(rec).toEqual(before);
    }
    // recording a running container as running again (with new fields) is allowed
    expect(toRunning(running(), { nspawnPid: 8 }).state).toEqual({ status: 'running', nspawnPid: 8 });
    expect(refusal(() => toRunning(record({ status: 'removing' as ContainerStatus }), {})).message).toBe('container web cannot start from state removing');
  });

  it('toExited: records the exit code and when, keeping how it ran', () => {
    const rec = running();
    const t0 = Date.now();
    const next = toExited(rec, 137);
    expect(next.state).toMatchObject({ status: 'exited', exitCode: 137, nspawnPid: 4242, startedAt: '2026-01-01T00:01:00Z' });
    const finished = Date.parse(next.state.finishedAt!);
    expect(finished).toBeGreaterThanOrEqual(t0 - 1);
    expect(finished).toBeLessThanOrEqual(Date.now());
    expect(rec.state.status).toBe('running');
  });

  it('toExited of an exited container keeps when it first ended', () => {
    const next = toExited(exited(), 0);
    expect(next.state).toMatchObject({ status: 'exited', exitCode: 0, finishedAt: '2026-01-01T00:02:00Z' });
    // a finishedAt left from an earlier run does not count for a running container
    const stale = record({ status: 'running', nspawnPid: 1, finishedAt: '2020-01-01T00:00:00Z' });
    expect(toExited(stale, 1).state.finishedAt).not.toBe('2020-01-01T00:00:00Z');
  });
});
