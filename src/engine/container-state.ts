import { pollUntil } from '../poll.js';
import type { ContainerStatus } from '../runtime/lifecycle.js';
import type { ContainerStore } from '../store/container-store.js';
import type { ContainerRecord } from '../model/container.js';

/**
 * Waiting for a container's state, as its record says: the one loop every
 * engine-level wait uses (stop, rm -f, reconcile, docker wait, compose's
 * depends_on). How often it looks is poll.ts's.
 */

/** A state to wait for, or a test of the record (undefined: the container was removed). May throw to end the wait. */
export type Want = ContainerStatus | ((rec: ContainerRecord | undefined) => boolean);

export interface WaitForOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** how to read the record (default: the store's, as it is); e.g. reconciled against what runs */
  read?: (id: string) => Promise<ContainerRecord | undefined>;
}

export type WaitResult =
  | { met: true; rec: ContainerRecord | undefined }
  | { met: false; why: 'timeout' | 'aborted'; rec: ContainerRecord | undefined };

/** Does `rec` meet `want`? A removed container meets no state, only a test that accepts undefined. */
export function meets(rec: ContainerRecord | undefined, want: Want): boolean {
  if (typeof want === 'function') return want(rec);
  return rec?.state.status === want;
}

/** Not running, or removed (what stop and rm -f wait for). */
export const notRunning = (rec: ContainerRecord | undefined): boolean => rec?.state.status !== 'running';

/**
 * Wait until the container's record meets `want`; the record that did, or
 * why not (the timeout passed, the signal aborted). `first` (a record, read
 * already) is tested before anything is read again.
 */
export async function waitFor(containers: ContainerStore, first: string | ContainerRecord, want: Want, opts: WaitForOptions = {}): Promise<WaitResult> {
  const id = typeof first === 'string' ? first : first.id;
  const read = opts.read ?? (i => containers.read(i));
  let rec: ContainerRecord | undefined = typeof first === 'string' ? undefined : first;
  let fresh = typeof first !== 'string';
  const met = await pollUntil(async () => {
    if (!fresh) rec = await read(id);
    fresh = false;
    return meets(rec, want) ? true : undefined;
  }, opts);
  if (met) return { met: true, rec };
  return { met: false, why: opts.signal?.aborted ? 'aborted' : 'timeout', rec };
}
