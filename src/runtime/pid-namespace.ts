import { readdir, readlink } from 'node:fs/promises';
import { processStartTime } from '../lock.js';
import type { AttachedChild } from '../process.js';
import { containerLeader } from './host.js';
import { pollUntil } from '../poll.js';

import type { LeaderIdentity } from '../model/container.js';

export type { LeaderIdentity };

export async function identify(pid: number): Promise<LeaderIdentity | undefined> {
  const start = await processStartTime(pid);
  const pidns = await readlink(`/proc/${pid}/ns/pid`).catch(() => undefined);
  // the start time once more: the pid may have gone to another process between the reads
  if (!start || !pidns || await processStartTime(pid) !== start) return undefined;
  return { pid, pidns, start };
}

/** Is the leader still that same process (not a zombie, not a reused pid)? */
export async function leaderAlive(id: LeaderIdentity): Promise<boolean> {
  return await processStartTime(id.pid) === id.start && await readlink(`/proc/${id.pid}/ns/pid`).catch(() => '') === id.pidns;
}

/**
 * The container's PID 1 once systemd-nspawn has started it (it polls: nspawn
 * clones it after its own setup); undefined when nspawn exits first.
 */
export async function findLeader(nspawn: AttachedChild, timeoutMs = 10_000): Promise<LeaderIdentity | undefined> {
  if (!nspawn.pid) return undefined;
  const nspawnPid = nspawn.pid;
  // nspawn's exit ends the wait at once
  const gone = new AbortController();
  void nspawn.exited.then(() => gone.abort());
  return pollUntil(async () => {
    if (gone.signal.aborted) return undefined;
    const pid = await containerLeader(nspawnPid);
    return pid ? await identify(pid) : undefined;
  }, { timeoutMs, signal: gone.signal });
}

/** Live processes in the PID namespace `pidns`, found by walking /proc. */
export async function namespaceMembers(pidns: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter(e => /^\d+$/.test(e)).map(Number);
  const inNs = await Promise.all(pids.map(async pid =>
    await readlink(`/proc/${pid}/ns/pid`).catch(() => '') === pidns && await processStartTime(pid) !== undefined));
  return pids.filter((_, i) => inNs[i]);
}

/** How a container record names its systemd-nspawn: pid and start time. */
export async function nspawnState(nspawn: AttachedChild): Promise<{ nspawnPid?: number; nspawnStart?: string }> {
  return { nspawnPid: nspawn.pid, nspawnStart: nspawn.pid ? await processStartTime(nspawn.pid) : undefined };
}
