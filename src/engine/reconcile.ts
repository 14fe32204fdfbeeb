import { rm } from 'node:fs/promises';
import path from 'node:path';
import { debug } from '../log.js';
import { abandonedMark, dropAbandonedMark, endProcesses, endSupervisor, isMounted, nspawnAlive, supervised } from '../runtime/container-processes.js';
import { waitFor } from './container-state.js';
import { unmount } from '../runtime/overlay.js';
import { toExited } from '../runtime/lifecycle.js';
import type { ContainerStore } from '../store/container-store.js';
import type { ContainerRecord } from '../model/container.js';

/**
 * A record says "running" only while the racker process that supervises the
 * container (alive, and its mark in supervisor/ still there) and its
 * systemd-nspawn are alive. If the supervisor died (kill -9,
 * reboot), the container is shown as exited, its leftovers (processes, a
 * mount) are cleaned, and the record is corrected, so a crash never blocks the
 * next command. If nspawn died under a live supervisor, the container is
 * stopped too (docker's rule for a dead runtime): the supervisor records that
 * itself; one that does not within a few seconds is broken, and is killed
 * (or, when it still runs other containers, left to them: endSupervisor).
 */
export async function reconcile(containers: ContainerStore, rec: ContainerRecord, ended: (rec: ContainerRecord) => Promise<void> = async () => {}): Promise<ContainerRecord> {
  if (rec.state.status !== 'running') return endAbandonedRun(containers, rec, ended);
  const live = await supervised(containers, rec);
  if (live && await nspawnAlive(rec.state)) return rec;
  if (live) {
    debug(`container ${rec.name}: systemd-nspawn is gone; ending the container`);
    await endProcesses(rec.state);
    // its supervisor records the exit, or lets go of the container (then it is judged below)
    let letGo = false;
    const read = async (id: string) => { letGo = !await supervised(containers, rec); return letGo ? undefined : containers.read(id); };
    const done = await waitFor(containers, rec.id, r => letGo || r?.state.status !== 'running', { timeoutMs: 5000, read });
    if (done.met && !letGo) return done.rec ?? toExited(rec, 137);
    const fresh = await containers.read(rec.id);
    if (fresh && fresh.state.status !== 'running') return fresh;
    await endSupervisor(containers, rec, 0);
  }
  // the record may be older than the run's end: a supervisor that recorded the exit and then let go of
  // the container is not gone, it is done (and its exit code stands)
  const now = await containers.read(rec.id);
  if (!now) return toExited(rec, rec.state.exitCode ?? 137);
  if (now.state.status !== 'running' || now.state.startedAt !== rec.state.startedAt) return now;
  debug(`container ${rec.name}: its racker process is gone; cleaning up`);
  await cleanUpAfter(containers, rec, ended);
  const dead = await abandonedMark(containers, rec.id);
  if (dead) await dropAbandonedMark(containers, rec.id, dead);
  const fixed = toExited(rec, rec.state.exitCode ?? 137);
  if (rec.autoRemove) {
    await containers.remove(rec.id);
  } else {
    await containers.write(fixed);
  }
  return fixed;
}

/** What a run whose racker process died leaves on the host: its processes, its mount, its network. */
async function cleanUpAfter(containers: ContainerStore, rec: ContainerRecord, ended: (rec: ContainerRecord) => Promise<void>): Promise<void> {
  await endProcesses(rec.state);
  // what a killed nspawn leaves behind
  await rm(path.join('/run/systemd/nspawn/unix-export', rec.name), { recursive: true, force: true });
  const rootfs = path.join(containers.dir(rec.id), 'rootfs');
  if (await isMounted(rootfs)) await unmount(rootfs);
  // what a dead container held on the host (its network namespace, veths, published ports)
  await ended(rec).catch(err => debug(`container ${rec.name}: cleaning up after it failed: ${(err as Error).message}`));
}

/**
 * A run can die before it records "running" (kill -9 while the root is
 * mounted, a volume being filled, the network made) or after it recorded the
 * exit, while it cleaned up. The record then says created or exited; the
 * supervision mark, held by a dead process, says a run was under way. That run
 * is dead whatever the status: its leftovers are cleaned, and a --rm container
 * is removed. Otherwise the record keeps its status (one that never ran stays created).
 */
async function endAbandonedRun(containers: ContainerStore, rec: ContainerRecord, ended: (rec: ContainerRecord) => Promise<void>): Promise<ContainerRecord> {
  const token = await abandonedMark(containers, rec.id);
  if (!token) return rec;
  debug(`container ${rec.name}: the racker process that was running it (${token}) is gone; cleaning up`);
  await cleanUpAfter(containers, rec, ended);
  // a new run that took the container meanwhile owns it (and its mount) from here
  if (!await dropAbandonedMark(containers, rec.id, token)) return (await containers.read(rec.id)) ?? rec;
  if (rec.autoRemove) {
    await containers.remove(rec.id);
    return toExited(rec, rec.state.exitCode ?? 137);
  }
  return rec;
}

/** All containers, with stale ones corrected (and --rm ones that crashed removed). */
export async function listReconciled(containers: ContainerStore, ended?: (rec: ContainerRecord) => Promise<void>): Promise<ContainerRecord[]> {
  const out: ContainerRecord[] = [];
  for (const rec of await containers.list()) {
    const fixed = await reconcile(containers, rec, ended);
    // a --rm container whose dead run reconcile just removed
    if (fixed !== rec && fixed.autoRemove && !await containers.read(fixed.id)) continue;
    out.push(fixed);
  }
  return out;
}
