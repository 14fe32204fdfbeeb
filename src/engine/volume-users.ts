import type { ContainerStore } from '../store/container-store.js';
import type { ContainerRecord } from '../model/container.js';
import type { VolumeUsers } from '../model/volume.js';

/**
 * A volume is used by every container whose stored spec mounts it
 * (`spec.mounts`, kind volume). Stopped containers count, as in docker: the
 * volume goes with `rm -v` or after `rm`.
 */
export function volumeNamesOf(rec: ContainerRecord): string[] {
  return (rec.spec.mounts ?? []).flatMap(m => (m.kind === 'volume' ? [m.name] : []));
}

/** A VolumeUsers callback reading the container records (read-only) each time it is asked. */
export function containerVolumeUsers(containers: ContainerStore): VolumeUsers {
  return async (volumeName: string) => (await containers.list())
    .filter(c => volumeNamesOf(c).includes(volumeName))
    .map(c => c.name);
}
