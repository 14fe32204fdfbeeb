import type { ContainerRecord } from '../model/container.js';
import type { TmpfsMount, VolumeSpec } from '../model/mounts.js';
import { populateFromImage } from '../runtime/volume-populate.js';
import type { VolumeStore } from '../store/volume-store.js';
import { escapeBindPath } from './nspawn-args.js';
import { makeMountPoint } from './volumes.js';
import { mkdirInRoot } from './rootfs-path.js';

const NSPAWN_MOUNT_POINTS = ['/proc', '/sys', '/dev', '/run', '/tmp', '/var/tmp', '/etc'];

/**
 * Named and anonymous volumes become bind mounts of their data directories
 * (an empty volume filled from the image's content at that path first, once,
 * as docker does); tmpfs mounts and --read-only become nspawn options.
 */
export async function prepareMounts(volumes: VolumeStore, rec: ContainerRecord, rootfs: string): Promise<{ binds: VolumeSpec[]; nspawnArgs: string[] }> {
  const binds: VolumeSpec[] = [];
  const nspawnArgs: string[] = [];
  for (const m of rec.spec.mounts ?? []) {
    if (m.kind === 'volume') {
      const source = volumes.dataDir(m.name);
      if (!m.noCopy) await populateFromImage(source, rootfs, m.target);
      const bind = { source, target: m.target, readOnly: m.readOnly };
      await makeMountPoint(rootfs, bind);
      binds.push(bind);
    } else {
      await mkdirInRoot(rootfs, m.target);
      nspawnArgs.push(`--tmpfs=${escapeBindPath(m.target)}:${tmpfsOptions(m)}`);
    }
  }
  if (rec.spec.readOnly) {
    // nspawn mounts these itself and cannot make them in a read-only root
    for (const dir of NSPAWN_MOUNT_POINTS) await mkdirInRoot(rootfs, dir);
    nspawnArgs.push('--read-only');
  }
  return { binds, nspawnArgs };
}

export function tmpfsOptions(m: TmpfsMount): string {
  const opts = [m.readOnly ? 'ro' : 'rw', `mode=${(m.mode ?? 0o1777).toString(8)}`, ...(m.size ? [`size=${m.size}`] : []), ...m.flags];
  // nspawn splits --tmpfs at ':' and takes the rest as mount options
  return opts.join(',');
}

/** docker's rule: a container removed with --rm (or rm -v) takes its anonymous volumes with it. */
export async function removeAnonymousVolumes(volumes: VolumeStore, rec: ContainerRecord): Promise<void> {
  for (const m of rec.spec.mounts ?? []) {
    if (m.kind === 'volume' && m.anonymous) await volumes.remove(m.name, { force: true }).catch(() => undefined);
  }
}
