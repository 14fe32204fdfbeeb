import path from 'node:path';
import type { ContainerStore } from '../store/container-store.js';
import type { ContainerRecord } from '../model/container.js';
import type { StoreLayout } from '../store/layout.js';
import { ensureNspawnRuntimeDir } from './host.js';
import { mountOverlay, unmount } from './overlay.js';
import { hostsContent } from './hosts-resolv.js';
import { mkdirInRoot, writeFileInRoot } from './rootfs-path.js';
import { writeEtcFile } from './etc-files.js';
import { lstat, readFile } from 'node:fs/promises';
import { RackerError } from '../errors.js';
import { settleAll } from '../settle.js';

/** A container whose rootfs is mounted and ready for systemd-nspawn. */
export interface MountedContainer {
  rec: ContainerRecord;
  dir: string;
  rootfs: string;
  /** unmount the rootfs (the writable layer stays) */
  unmount(): Promise<void>;
  /** unmount, and remove everything when the container was --rm */
  release(): Promise<void>;
}

/**
 * Stack the container's writable layer on its image's layers and mount it: the
 * first time for a new container, again for one started anew (its writable
 * layer kept). The record must exist (ContainerStore.create).
 */
export async function mountContainer(layout: StoreLayout, containers: ContainerStore, rec: ContainerRecord): Promise<MountedContainer> {
  await ensureNspawnRuntimeDir();
  const dir = containers.dir(rec.id);
  const rootfs = path.join(dir, 'rootfs');
  let mounted = false;
  const unmountOnce = async () => {
    if (mounted) { mounted = false; await unmount(rootfs); }
  };
  const release = async () => {
    await unmountOnce();
    if (rec.autoRemove) await containers.remove(rec.id);
  };
  try {
    await mountOverlay({
      lowers: [...rec.layers].reverse().map(l => layout.layerFs(l)),
      upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), target: rootfs, volatile: rec.autoRemove,
    });
    mounted = true;
    // systemd-nspawn refuses a tree without /usr; busybox-style images have none
    const usr = await lstat(path.join(rootfs, 'usr')).catch(() => undefined);
    if (usr && !usr.isDirectory()) {
      // nspawn checks /usr by following a link on the host's side: refuse such an image ourselves
      throw new RackerError(`the image's /usr is not a directory (${usr.isSymbolicLink() ? 'a symlink' : 'a file'})`, { hint: 'systemd-nspawn needs /usr to be a real directory in the image' });
    }
    if (!usr) await mkdirInRoot(rootfs, '/usr');
  } catch (err) {
    await release();
    throw err;
  }
  return { rec, dir, rootfs, unmount: unmountOnce, release };
}

async function hostResolvConf(): Promise<string> {
  return readFile('/etc/resolv.conf', 'utf8').catch(() => 'nameserver 127.0.0.1\n');
}

/**
 * Files docker gives every container; written inside the rootfs before it
 * runs, replacing whatever the image had there (a symlink or a FIFO is
 * removed, never followed). With `ownDir` (a run), /etc/hosts and
 * /etc/resolv.conf are racker's own copies there too, bind-mounted over these
 * (etc-files.ts), so that later changes never go through the running root.
 */
export async function writeIdentityFiles(rootfs: string, hostname: string, ownDir?: string): Promise<void> {
  const hosts = hostsContent({ ip: '127.0.1.1', names: [hostname] }, []);
  const resolv = await hostResolvConf();
  await writeFileInRoot(rootfs, '/etc/hostname', `${hostname}\n`);
  await writeFileInRoot(rootfs, '/etc/hosts', hosts);
  await writeFileInRoot(rootfs, '/etc/resolv.conf', resolv);
  if (ownDir) {
    await writeEtcFile(ownDir, 'hosts', hosts);
    await writeEtcFile(ownDir, 'resolv.conf', resolv);
  }
}

/**
 * After the container: its network and its root released side by side (the
 * veths' deletion is mostly the kernel waiting, the unmount is another
 * process); both always run, the first failure is thrown.
 */
export async function releaseBoth(network: { release(): Promise<void> } | undefined, root: { release(): Promise<void> }): Promise<void> {
  await settleAll([network?.release(), root.release()]);
}
