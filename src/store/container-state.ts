import { readFile, rm } from 'node:fs/promises';
import { containerLeader } from '../runtime/host.js';
import path from 'node:path';
import { holderAlive, ownToken, processStartTime } from './lock.js';
import type { ContainerRecord, ContainerState, ContainerStore } from './container-store.js';
import { endNamespace, leaderAlive, namespaceMembers } from '../runtime/pid-namespace.js';
import { unmount } from '../runtime/overlay.js';
import { debug } from '../log.js';

/** Is anything mounted at `target` (the container's rootfs)? */
export async function isMounted(target: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  return mounts.split('\n').some(l => l.split(' ')[4] === target);
}

/** Is the record's systemd-nspawn still that process (not a zombie, not a reused pid)? */
export async function nspawnAlive(state: ContainerState): Promise<boolean> {
  const pid = state.nspawnPid;
  if (!pid) return false;
  if (state.nspawnStart) return await processStartTime(pid) === state.nspawnStart;
  // a record written before racker kept nspawn's start time: only while it says running
  return state.status === 'running' && (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim() === 'systemd-nspawn';
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function waitGone(alive: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; await alive();) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
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

/** SIGKILL a supervising racker that did not end by itself within `ms`. */
export async function endSupervisor(token: string | undefined, ms: number): Promise<void> {
  if (!token || token === await ownToken() || await waitGone(() => holderAlive(token), ms)) return;
  debug(`the racker process supervising the container (${token}) did not exit; killing it`);
  try { process.kill(Number(token.split(' ')[0]), 'SIGKILL'); } catch { /* gone meanwhile */ }
  await waitGone(() => holderAlive(token), 2000);
}

/** What of a container still exists on the host, for an error message; empty when nothing. */
export async function leftovers(containers: ContainerStore, rec: ContainerRecord): Promise<string[]> {
  const out: string[] = [];
  const { leader, supervisor } = rec.state;
  if (leader && await leaderAlive(leader)) {
    const pids = await namespaceMembers(leader.pidns);
    out.push(`${pids.length || 1} process(es) in its PID namespace (host pids ${(pids.length ? pids : [leader.pid]).join(' ')})`);
  }
  if (await nspawnAlive(rec.state)) out.push(`systemd-nspawn (pid ${rec.state.nspawnPid})`);
  if (supervisor && await holderAlive(supervisor)) out.push(`its racker supervisor (pid ${supervisor.split(' ')[0]})`);
  if (await isMounted(path.join(containers.dir(rec.id), 'rootfs'))) out.push('its rootfs mount');
  return out;
}

/**
 * A record says "running" only while the racker process that supervises the
 * container and its systemd-nspawn are alive. If the supervisor died (kill -9,
 * reboot), the container is shown as exited, its leftovers (processes, a
 * mount) are cleaned, and the record is corrected, so a crash never blocks the
 * next command. If nspawn died under a live supervisor, the container is
 * stopped too (docker's rule for a dead runtime): the supervisor records that
 * itself; one that does not within a few seconds is broken, and is killed.
 */
export async function reconcile(containers: ContainerStore, rec: ContainerRecord): Promise<ContainerRecord> {
  if (rec.state.status !== 'running') return rec;
  const supervised = !!rec.state.supervisor && await holderAlive(rec.state.supervisor);
  if (supervised && await nspawnAlive(rec.state)) return rec;
  if (supervised) {
    debug(`container ${rec.name}: systemd-nspawn is gone; ending the container`);
    await endProcesses(rec.state);
    for (const deadline = Date.now() + 5000; Date.now() < deadline && await holderAlive(rec.state.supervisor!);) {
      const fresh = await containers.read(rec.id);
      if (!fresh) return { ...rec, state: { ...rec.state, status: 'exited', exitCode: 137 } };
      if (fresh.state.status !== 'running') return fresh;
      await sleep(50);
    }
    const fresh = await containers.read(rec.id);
    if (fresh && fresh.state.status !== 'running') return fresh;
    await endSupervisor(rec.state.supervisor, 0);
  }
  debug(`container ${rec.name}: its racker process is gone; cleaning up`);
  await endProcesses(rec.state);
  // what a killed nspawn leaves behind
  await rm(path.join('/run/systemd/nspawn/unix-export', rec.name), { recursive: true, force: true });
  const rootfs = path.join(containers.dir(rec.id), 'rootfs');
  if (await isMounted(rootfs)) await unmount(rootfs);
  const fixed: ContainerRecord = {
    ...rec,
    state: { ...rec.state, status: 'exited', exitCode: rec.state.exitCode ?? 137, finishedAt: rec.state.finishedAt ?? new Date().toISOString() },
  };
  if (rec.autoRemove) {
    await containers.remove(rec.id);
  } else {
    await containers.write(fixed);
  }
  return fixed;
}

/** All containers, with stale ones corrected (and --rm ones that crashed removed). */
export async function listReconciled(containers: ContainerStore): Promise<ContainerRecord[]> {
  const out: ContainerRecord[] = [];
  for (const rec of await containers.list()) {
    const fixed = await reconcile(containers, rec);
    if (!(fixed.autoRemove && fixed.state.status === 'exited' && rec.state.status === 'running')) out.push(fixed);
  }
  return out;
}
