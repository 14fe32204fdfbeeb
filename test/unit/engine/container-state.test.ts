import { describe, expect, it } from 'vitest';
import { containerRecord } from '../../helpers/container-record.js';
import { meets, notRunning, waitFor } from '../../../src/engine/container-state.js';
import type { ContainerStore } from '../../../src/store/container-store.js';
import type { ContainerRecord } from '../../../src/model/container.js';

const record = containerRecord;
const running = record({ status: 'running', nspawnPid: 4242, startedAt: '2026-01-01T00:01:00Z' });
const exited = record({ status: 'exited', exitCode: 3, startedAt: '2026-01-01T00:01:00Z', finishedAt: '2026-01-01T00:02:00Z' });

/** A store whose record goes through `states` on each read (the last one stays). */
function storeGoingThrough(...states: (ContainerRecord | undefined)[]): ContainerStore & { reads: number } {
  const s = { reads: 0, read: async () => states[Math.min(s.reads++, states.length - 1)] };
  return s as unknown as ContainerStore & { reads: number };
}

describe('state predicates', () => {
  it('a state is met by a record in that state only; a removed container meets none', () => {
    expect(meets(running, 'running')).toBe(true);
    expect(meets(exited, 'running')).toBe(false);
    expect(meets(undefined, 'exited')).toBe(false);
  });

  it('notRunning: exited, created or removed', () => {
    expect(notRunning(exited)).toBe(true);
    expect(notRunning(undefined)).toBe(true);
    expect(notRunning(record({ status: 'created' }))).toBe(true);
    expect(notRunning(running)).toBe(false);
  });
});

describe('waitFor', () => {
  it('reads the record until it meets the state, and gives that record', async () => {
    const store = storeGoingThrough(running, running, exited);
    const r = await waitFor(store, running.id, 'exited', { timeoutMs: 5000 });
    expect(r).toEqual({ met: true, rec: exited });
    expect(store.reads).toBe(3);
  });

  it('tests a record it is given before reading again', async () => {
    const store = storeGoingThrough(running);
    expect(await waitFor(store, exited, 'exited')).toEqual({ met: true, rec: exited });
    expect(store.reads).toBe(0);
  });

  it('says timeout or aborted when the state does not come', async () => {
    expect(await waitFor(storeGoingThrough(running), running.id, 'exited', { timeoutMs: 20 })).toMatchObject({ met: false, why: 'timeout', rec: running });
    const ctl = new AbortController();
    setImmediate(() => ctl.abort());
    expect(await waitFor(storeGoingThrough(running), running.id, 'exited', { signal: ctl.signal })).toMatchObject({ met: false, why: 'aborted' });
  });

  it('a removed container meets a test that accepts it', async () => {
    expect(await waitFor(storeGoingThrough(running, undefined), running.id, notRunning, { timeoutMs: 5000 })).toEqual({ met: true, rec: undefined });
  });

  it('uses the given read (a reconciled record)', async () => {
    const r = await waitFor(storeGoingThrough(running), running.id, 'exited', { read: async () => exited });
    expect(r.met).toBe(true);
  });
});
