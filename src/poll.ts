import { setTimeout as sleepFor } from 'node:timers/promises';

/**
 * The one place that decides how often racker looks again while it waits for
 * something it cannot be told about (a container's state in its record, a
 * process appearing or going, systemd finishing its boot). Callers say what
 * they wait for and for how long, never how often.
 */

/** the first looks: most waits end within a few milliseconds (nspawn's PID 1 appears, a killed process goes) */
export const POLL_MIN_MS = 5;
/** the slowest look: a long wait (docker wait, a boot) notices its end within this */
export const POLL_MAX_MS = 100;

/**
 * How long to sleep before the next look, after `elapsedMs` of waiting: a
 * tenth of the time already waited, between POLL_MIN_MS and POLL_MAX_MS. A
 * wait thus ends at most ~10% (or POLL_MAX_MS) later than its event (a boot of
 * ~0.5 s is seen within 50 ms, as with the 30 ms it had), and a long one costs
 * few looks.
 */
export function pollDelay(elapsedMs: number): number {
  return Math.min(POLL_MAX_MS, Math.max(POLL_MIN_MS, Math.round(elapsedMs / 10)));
}

export interface PollOptions {
  /** give up after this long (default: never) */
  timeoutMs?: number;
  /** give up when this aborts (the sleep between looks ends at once) */
  signal?: AbortSignal;
}

/**
 * Look with `probe` until it returns something other than undefined, and
 * return that; undefined when the timeout passed or the signal aborted first
 * (the caller tells which from its signal). The probe runs at least once, and
 * once more at the deadline.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, opts: PollOptions = {}): Promise<T | undefined> {
  const start = Date.now();
  const deadline = opts.timeoutMs === undefined ? Infinity : start + opts.timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    const now = Date.now();
    if (opts.signal?.aborted || now >= deadline) return undefined;
    try {
      await sleepFor(Math.min(pollDelay(now - start), deadline - now), undefined, { signal: opts.signal });
    } catch {
      return undefined; // aborted
    }
  }
}

/** Wait up to `timeoutMs` for `alive` to turn false; whether it did. */
export async function waitGone(alive: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  return await pollUntil(async () => (await alive() ? undefined : true), { timeoutMs }) ?? false;
}
