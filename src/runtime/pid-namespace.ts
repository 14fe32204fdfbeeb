import { open, readdir, readlink } from 'node:fs/promises';
import { processStartTime } from '../lock.js';
import { debug, warn } from '../log.js';
import type { AttachedChild } from '../process.js';
import { containerLeader } from './host.js';

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
  let exited = false;
  void nspawn.exited.then(() => { exited = true; });
  const deadline = Date.now() + timeoutMs;
  while (nspawn.pid && !exited && Date.now() < deadline) {
    const pid = await containerLeader(nspawn.pid);
    const id = pid ? await identify(pid) : undefined;
    if (id) return id;
    await new Promise(r => setTimeout(r, 5));
  }
  return undefined;
}

/** Live processes in the PID namespace `pidns`, found by walking /proc. */
export async function namespaceMembers(pidns: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter(e => /^\d+$/.test(e)).map(Number);
  const inNs = await Promise.all(pids.map(async pid =>
    await readlink(`/proc/${pid}/ns/pid`).catch(() => '') === pidns && await processStartTime(pid) !== undefined));
  return pids.filter((_, i) => inNs[i]);
}

/**
 * End the container's whole PID namespace: SIGKILL to its PID 1 makes the
 * kernel kill every process in it. The leader is signalled only while it is
 * the recorded process. Returns the pids still in the namespace after
 * `timeoutMs` (empty: nothing of the container runs).
 */
export async function endNamespace(id: LeaderIdentity, timeoutMs = 5000): Promise<number[]> {
  // held open while we look, so the namespace's inode number cannot pass to a new one
  const pin = await open(`/proc/${id.pid}/ns/pid`, 'r').catch(() => undefined);
  try {
    // PID 1 gone: the kernel has already killed the rest of its namespace
    if (!pin || !await leaderAlive(id)) return [];
    debug(`ending PID namespace ${id.pidns}: SIGKILL to its PID 1 (host pid ${id.pid})`);
    try { process.kill(id.pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = await namespaceMembers(id.pidns);
      if (left.length === 0 || Date.now() > deadline) return left;
      await new Promise(r => setTimeout(r, 20));
    }
  } finally {
    await pin?.close();
  }
}

/**
 * Once systemd-nspawn has exited — also when it was killed and could not stop
 * its container — end whatever is left of the container.
 */
export async function endWithNspawn(nspawn: AttachedChild, leader: LeaderIdentity | undefined): Promise<void> {
  await nspawn.exited;
  if (!leader) return;
  const left = await endNamespace(leader);
  if (left.length) warn(`processes of the container still run after SIGKILL: ${left.join(' ')}`);
}

/** How a container record names its systemd-nspawn: pid and start time. */
export async function nspawnState(nspawn: AttachedChild): Promise<{ nspawnPid?: number; nspawnStart?: string }> {
  return { nspawnPid: nspawn.pid, nspawnStart: nspawn.pid ? await processStartTime(nspawn.pid) : undefined };
}
