import { RackerError } from '../errors.js';
import type { ContainerStore } from '../store/container-store.js';
import type { ContainerRecord } from '../model/container.js';
import { waitFor } from './container-state.js';
import { shown } from '../untrusted.js';

export type WaitCondition = 'not-running' | 'next-exit' | 'healthy';
export const WAIT_CONDITIONS: WaitCondition[] = ['not-running', 'next-exit', 'healthy'];

/**
 * docker wait: until the container is not running (its exit code), until its
 * next exit, or — racker's addition for scripts — until its health check
 * passes. `read` gives the container's current record (undefined: removed).
 */
export interface WaitOptions {
  /** ends the wait (exit code 130) */
  signal?: AbortSignal;
  /** healthy: give up when the check says unhealthy (compose's depends_on and --wait), not only when the container stops */
  failUnhealthy?: boolean;
}

/**
 * The test of a record for `condition`, after `first` (the record when the wait
 * began): true when met; throws when it can no longer be met.
 */
export function conditionTest(first: ContainerRecord, condition: WaitCondition, opts: WaitOptions = {}): (rec: ContainerRecord | undefined) => boolean {
  const startedAt = first.state.startedAt;
  return rec => {
    if (!rec) {
      if (condition === 'healthy') throw new RackerError(`container ${first.name} was removed before it was healthy`);
      return true;
    }
    const s = rec.state;
    if (condition === 'not-running') return s.status !== 'running';
    if (condition === 'next-exit') return s.status === 'exited' && (first.state.status === 'running' ? true : s.startedAt !== startedAt);
    if (s.status === 'running' && s.health?.status === 'healthy') return true;
    if (opts.failUnhealthy && s.status === 'running' && s.health?.status === 'unhealthy') {
      const last = s.health.log.at(-1)?.output.trim().split('\n').pop();
      throw new RackerError(`container ${rec.name} is unhealthy${last ? `: ${shown(last, 200)}` : ''}`, { exitCode: 1, hint: `racker inspect ${rec.name} shows the last checks` });
    }
    if (s.status !== 'running' && first.state.status === 'running') {
      throw new RackerError(`container ${rec.name} exited (${s.exitCode ?? -1}) before it was healthy`, { exitCode: 1 });
    }
    return false;
  };
}

export async function dockerWait(containers: ContainerStore, first: ContainerRecord, condition: WaitCondition, read: (id: string) => Promise<ContainerRecord | undefined>, timeoutMs?: number, opts: WaitOptions = {}): Promise<number | undefined> {
  if (condition === 'healthy' && !first.spec.healthcheck?.test) {
    throw new RackerError(`container ${first.name} has no health check`, { hint: 'give it one with --health-cmd (or use an image with a HEALTHCHECK)' });
  }
  const r = await waitFor(containers, first, conditionTest(first, condition, opts), { timeoutMs, signal: opts.signal, read });
  if (!r.met) {
    if (r.why === 'aborted') throw new RackerError('interrupted', { exitCode: 130 });
    throw new RackerError(`container ${r.rec?.name ?? first.name}: gave up waiting (${condition}) after ${timeoutMs! / 1000}s`, { exitCode: 1 });
  }
  if (condition === 'healthy') return undefined;
  return (r.rec ?? first).state.exitCode ?? 0;
}
