import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, readlink, statfs } from 'node:fs/promises';
import { run } from '../process.js';
import { debug } from '../log.js';

const TMPFS_MAGIC = 0x01021994;

/** sd_booted(): is PID 1 systemd, so machined and transient units can be used? */
export function systemdIsPid1(): boolean {
  return existsSync('/run/systemd/system');
}

/**
 * systemd-nspawn keeps per-container state under /run/systemd/nspawn and
 * refuses to delete it unless it is on a tmpfs ("Attempted to remove disk file
 * system…"). /run is a tmpfs on every systemd host; where it is not (containers,
 * minimal VMs), give nspawn a small tmpfs of its own once per boot.
 */
export async function ensureNspawnRuntimeDir(): Promise<void> {
  const dir = '/run/systemd/nspawn';
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const fs = await statfs(dir);
  if (Number(fs.type) === TMPFS_MAGIC) return;
  debug(`${dir} is not on a tmpfs; mounting one for systemd-nspawn`);
  await run('mount', ['-t', 'tmpfs', '-o', 'mode=0755,size=16m,nosuid,nodev', 'tmpfs', dir], { purpose: 'prepare /run/systemd/nspawn' });
}

/**
 * The container's PID 1 as seen from the host: the child of systemd-nspawn
 * that lives in another PID namespace.
 */
export async function containerLeader(nspawnPid: number): Promise<number | undefined> {
  const ownNs = await readlink('/proc/self/ns/pid').catch(() => '');
  let tasks: string[];
  try {
    tasks = await readdir(`/proc/${nspawnPid}/task`);
  } catch {
    return undefined;
  }
  for (const t of tasks) {
    const children = await readFile(`/proc/${nspawnPid}/task/${t}/children`, 'utf8').catch(() => '');
    for (const c of children.split(' ').filter(Boolean).map(Number)) {
      const ns = await readlink(`/proc/${c}/ns/pid`).catch(() => ownNs);
      if (ns !== ownNs) return c;
    }
  }
  return undefined;
}
