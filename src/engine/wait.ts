import { RackerError } from '../errors.js';
import { sleep } from '../runtime/container-processes.js';
import type { ContainerRecord } from '../model/container.js';
import { shown } from '../untrusted.js';

export type WaitCondition = 'not-running' | 'next-exit' | 'healthy';
export const WAIT_CONDITIONS: WaitCondition[] = ['not-running', 'next-exit', 'healthy'];

const POLL_MS = 100;

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

export async function waitFor(first: ContainerRecord, condition: WaitCondition, read: () => Promise<ContainerRecord | undefined>, timeoutMs?: number, opts: WaitOptions = {}): Promise<number | undefined> {
  if (condition === 'healthy' && !first.spec.healthcheck?.test) {
    throw new RackerError(`container ${first.name} has no health check`, { hint: 'give it one with --health-cmd (or use an image with a HEALTHCHECK)' });
  }
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  const startedAt = first.state.startedAt;
  for (let rec: ContainerRecord | undefined = first; ; rec = await read()) {
    if (!rec) {
      if (condition === 'healthy') throw new RackerError(`container ${first.name} was removed before it was healthy`);
      return first.state.exitCode ?? 0;
    }
    const s = rec.state;
    if (condition === 'not-running' && s.status !== 'running') return s.exitCode ?? 0;
    if (condition === 'next-exit' && s.status === 'exited' && (first.state.status === 'running' ? true : s.startedAt !== startedAt)) return s.exitCode ?? 0;
    if (condition === 'healthy') {
      if (s.status === 'running' && s.health?.status === 'healthy') return undefined;
      if (opts.failUnhealthy && s.status === 'running' && s.health?.status === 'unhealthy') {
        const last = s.health.log.at(-1)?.output.trim().split('\n').pop();
        throw new RackerError(`container ${rec.name} is unhealthy${last ? `: ${shown(last, 200)}` : ''}`, { exitCode: 1, hint: `racker inspect ${rec.name} shows the last checks` });
      }
      if (s.status !== 'running' && first.state.status === 'running') {
        throw new RackerError(`container ${rec.name} exited (${s.exitCode ?? -1}) before it was healthy`, { exitCode: 1 });
      }
    }
    if (opts.signal?.aborted) throw new RackerError('interrupted', { exitCode: 130 });
    if (Date.now() > deadline) throw new RackerError(`container ${rec.name}: gave up waiting (${condition}) after ${timeoutMs! / 1000}s`, { exitCode: 1 });
    await sleep(POLL_MS);
  }
}
