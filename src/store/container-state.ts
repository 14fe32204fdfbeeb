import { readFile, rm } from 'node:fs/promises';
import { containerLeader } from '../runtime/host.js';
import path from 'node:path';
import { holderAlive } from './lock.js';
import type { ContainerRecord, ContainerStore } from './container-store.js';
import { unmount } from '../runtime/overlay.js';
import { debug } from '../log.js';

/** Is anything mounted at `target` (the container's rootfs)? */
export async function isMounted(target: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  return mounts.split('\n').some(l => l.split(' ')[4] === target);
}

/**
 * A record says "running" only while the racker process that supervises the
 * container is alive. If it died (kill -9, reboot), the container is shown as
 * exited, its leftovers (a mount, a stray nspawn) are cleaned, and the record
 * is corrected, so a crash never blocks the next command.
 */
export async function reconcile(containers: ContainerStore, rec: ContainerRecord): Promise<ContainerRecord> {
  if (rec.state.status !== 'running') return rec;
  if (rec.state.supervisor && await holderAlive(rec.state.supervisor)) return rec;
  debug(`container ${rec.name}: its racker process is gone; cleaning up`);
  if (rec.state.nspawnPid) {
    const pid = rec.state.nspawnPid;
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === 'systemd-nspawn') {
      // the container's PID 1 first: its whole PID namespace dies with it, then nspawn exits
      const leader = await containerLeader(pid);
      try { process.kill(leader ?? pid, 'SIGKILL'); } catch { /* already gone */ }
      for (let i = 0; i < 60 && await readFile(`/proc/${pid}/comm`, 'utf8').then(() => true, () => false); i++) {
        await new Promise(r => setTimeout(r, 50));
      }
      try { process.kill(pid, 'SIGKILL'); } catch { /* exited */ }
    }
  }
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
