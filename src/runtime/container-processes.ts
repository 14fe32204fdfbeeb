import { mkdir, open, readFile, readdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { containerLeader } from './host.js';
import { holderAlive, ownToken, processStartTime } from '../lock.js';
import type { ContainerStore } from '../store/container-store.js';
import type { ContainerRecord, ContainerState } from '../model/container.js';
import { leaderAlive, namespaceMembers, type LeaderIdentity } from './pid-namespace.js';
import { pollUntil, waitGone } from '../poll.js';
import type { AttachedChild } from '../process.js';
import { debug, warn } from '../log.js';
import { readProcFile } from '../process.js';
import { RackerError } from '../errors.js';
import { shortId } from '../model/image.js';

/**
 * The one module that finds, signals and waits for a container's processes:
 * its PID namespace (through pid-namespace.ts), systemd-nspawn, and the racker
 * process that supervises it.
 */

/** Is anything mounted at `target` (the container's rootfs)? */
export async function isMounted(target: string): Promise<boolean> {
  const mounts = await readProcFile('/proc/self/mountinfo');
  return mounts.split('\n').some(l => l.split(' ')[4] === target);
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
    killLeader(id);
    let left: number[] = [];
    await pollUntil(async () => ((left = await namespaceMembers(id.pidns)).length ? undefined : true), { timeoutMs });
    return left;
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

/** Is the record's systemd-nspawn still that process (not a zombie, not a reused pid)? */
export async function nspawnAlive(state: ContainerState): Promise<boolean> {
  const pid = state.nspawnPid;
  if (!pid) return false;
  if (state.nspawnStart) return await processStartTime(pid) === state.nspawnStart;
  // a record written before racker kept nspawn's start time: only while it says running
  return state.status === 'running' && (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim() === 'systemd-nspawn';
}

/**
 * Ask a running container to stop: SIGTERM to its systemd-nspawn, which passes
 * SIGTERM (or the stop signal) to an app's PID 1 or halts a booted systemd.
 */
export function askToStop(nspawn: number | { kill(s: NodeJS.Signals): void }): void {
  if (typeof nspawn === 'object') { nspawn.kill('SIGTERM'); return; }
  try { process.kill(nspawn, 'SIGTERM'); } catch { /* already gone */ }
}

/** Send `sig` to the container's PID 1 (docker kill), after `before`; false when nspawn has not started one (yet). */
export async function signalMain(state: ContainerState, sig: NodeJS.Signals | number, before?: () => Promise<void>): Promise<boolean> {
  const leader = state.nspawnPid ? await containerLeader(state.nspawnPid) : undefined;
  if (!leader) return false;
  await before?.();
  process.kill(leader, sig);
  return true;
}

/** SIGKILL the container's PID 1 (its whole PID namespace goes with it). */
export function killLeader(leader: LeaderIdentity): void {
  try { process.kill(leader.pid, 'SIGKILL'); } catch { /* gone */ }
}

/**
 * Kill what runs of a container: SIGKILL to its PID 1 ends its whole PID
 * namespace, and systemd-nspawn exits with it (it is killed too if it does not).
 */
export async function endProcesses(state: ContainerState): Promise<void> {
  if (state.leader) await endNamespace(state.leader);
  if (!await nspawnAlive(state)) return;
  const pid = state.nspawnPid!;
  if (!state.leader) {
    const leader = await containerLeader(pid);
    try { process.kill(leader ?? pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  if (await waitGone(() => nspawnAlive(state), 3000)) return;
  try { process.kill(pid, 'SIGKILL'); } catch { /* exited */ }
  await waitGone(() => nspawnAlive(state), 2000);
}

/**
 * The process that runs a container (the shared supervisor, or an attached
 * racker) marks it: ROOT/supervisor/ID holds its token from before the
 * container runs until everything of the run is cleaned up. One supervisor
 * runs many containers, so that it is alive says nothing about one of them.
 * Returns the release, which removes the mark if it is still this process's.
 */
export async function markSupervised(containers: ContainerStore, id: string): Promise<() => Promise<void>> {
  const file = containers.supervisionMark(id);
  const token = await ownToken();
  await mkdir(containers.supervisorDir, { recursive: true, mode: 0o700 });
  // a run that has just ended may still be cleaning up (stop, then start at once: restart)
  const heldByOther = async () => {
    const held = await readFile(file, 'utf8').catch(() => '');
    return !!held && await holderAlive(held);
  };
  if (!await waitGone(heldByOther, 10_000)) {
    throw new RackerError(`container ${shortId(id)} is already running`, { hint: `racker stop ${shortId(id)} first` });
  }
  await writeFile(file, token, { mode: 0o600 });
  return () => dropMark(containers, id, token);
}

/** Remove the container's mark if it is still `token`'s (a later run's mark stays). */
async function dropMark(containers: ContainerStore, id: string, token: string): Promise<void> {
  const file = containers.supervisionMark(id);
  if (await readFile(file, 'utf8').catch(() => '') === token) await unlink(file).catch(() => undefined);
}

/**
 * The token of a run that died holding the container's mark (kill -9 before it
 * recorded "running", or while it cleaned up after the exit); undefined when
 * there is no mark or its process lives.
 */
export async function abandonedMark(containers: ContainerStore, id: string): Promise<string | undefined> {
  const token = await readFile(containers.supervisionMark(id), 'utf8').catch(() => '');
  return token && !await holderAlive(token) ? token : undefined;
}

/** Remove a dead run's mark, unless a new run has taken the container meanwhile; whether it was still the dead one's. */
export async function dropAbandonedMark(containers: ContainerStore, id: string, token: string): Promise<boolean> {
  if (await readFile(containers.supervisionMark(id), 'utf8').catch(() => '') !== token) return false;
  await dropMark(containers, id, token);
  return true;
}

/** Does the process named in the record still run this container (alive, and its mark there)? */
export async function supervised(containers: ContainerStore, rec: ContainerRecord): Promise<boolean> {
  const token = rec.state.supervisor;
  if (!token) return false;
  const mark = await readFile(containers.supervisionMark(rec.id), 'utf8').catch(() => '');
  return mark === token && await holderAlive(token);
}

/** The other containers the process with `token` still runs (their marks). */
async function othersOf(containers: ContainerStore, token: string, id: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(containers.supervisorDir).catch(() => [] as string[])) {
    if (e === id || !/^[a-f0-9]{64}$/.test(e)) continue;
    if (await readFile(containers.supervisionMark(e), 'utf8').catch(() => '') === token) out.push(e);
  }
  return out;
}

/**
 * Wait up to `ms` for the container's supervisor to be done with it; one that
 * is not is taken for broken: SIGKILLed when the container is all it runs,
 * else (a shared supervisor, other containers live under it) its mark is
 * dropped and the caller cleans up in its place.
 */
export async function endSupervisor(containers: ContainerStore, rec: ContainerRecord, ms: number): Promise<void> {
  const token = rec.state.supervisor;
  if (!token || token === await ownToken() || await waitGone(() => supervised(containers, rec), ms)) return;
  const others = await othersOf(containers, token, rec.id);
  if (others.length) {
    debug(`the racker supervisor (${token}) did not finish container ${rec.name}; it still runs ${others.length} other(s): not killed`);
    await dropMark(containers, rec.id, token);
    return;
  }
  debug(`the racker process supervising the container (${token}) did not exit; killing it`);
  try { process.kill(Number(token.split(' ')[0]), 'SIGKILL'); } catch { /* gone meanwhile */ }
  await waitGone(() => holderAlive(token), 2000);
}

/** What of a container still exists on the host, for an error message; empty when nothing. */
export async function leftovers(containers: ContainerStore, rec: ContainerRecord): Promise<string[]> {
  const out: string[] = [];
  const { leader, supervisor } = rec.state;
  const running = await supervised(containers, rec);
  if (leader && await leaderAlive(leader)) {
    const pids = await namespaceMembers(leader.pidns);
    out.push(`${pids.length || 1} process(es) in its PID namespace (host pids ${(pids.length ? pids : [leader.pid]).join(' ')})`);
  }
  if (await nspawnAlive(rec.state)) out.push(`systemd-nspawn (pid ${rec.state.nspawnPid})`);
  if (running) out.push(`its racker supervisor (pid ${supervisor!.split(' ')[0]})`);
  if (await isMounted(path.join(containers.dir(rec.id), 'rootfs'))) out.push('its rootfs mount');
  return out;
}

/**
 * SIGKILL a container that racker runs itself (Ctrl-C twice, a power-off that
 * takes too long): its PID 1 when nspawn has started one, else nspawn.
 */
export async function killRunning(nspawn: { pid: number | undefined; kill(s: NodeJS.Signals): void }): Promise<void> {
  const leader = nspawn.pid ? await containerLeader(nspawn.pid) : undefined;
  if (leader) {
    try { process.kill(leader, 'SIGKILL'); } catch { /* gone meanwhile */ }
  } else {
    nspawn.kill('SIGKILL');
  }
}
