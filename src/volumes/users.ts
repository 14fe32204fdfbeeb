import type { ContainerRecord, ContainerStore } from '../store/container-store.js';
import type { VolumeUsers } from './volume-store.js';

/**
 * Until the engine provides it: a volume is used by every container whose
 * stored spec has a mount naming it, `spec.mounts: MountSpec[]` with
 * `{ kind: 'volume', name }` (src/volumes/mount-spec.ts). Stopped containers
 * count, as in docker: the volume goes with `rm -v` or after `rm`.
 */
export function volumeNamesOf(rec: ContainerRecord): string[] {
  const mounts = (rec.spec as { mounts?: unknown } | undefined)?.mounts;
  if (!Array.isArray(mounts)) return [];
  return mounts
    .filter((m): m is { kind: 'volume'; name: string } => typeof m === 'object' && m !== null
      && (m as { kind?: unknown }).kind === 'volume' && typeof (m as { name?: unknown }).name === 'string')
    .map(m => m.name);
}

/** A VolumeUsers callback reading the container records (read-only) each time it is asked. */
export function containerVolumeUsers(containers: ContainerStore): VolumeUsers {
  return async (volumeName: string) => (await containers.list())
    .filter(c => volumeNamesOf(c).includes(volumeName))
    .map(c => c.name);
}
