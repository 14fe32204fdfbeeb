/** A named or anonymous volume as `volume ls/inspect` shows it (docker's fields). */
export interface VolumeRecord {
  Name: string;
  Driver: 'local';
  /** absolute path of _data */
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  /** made for an image's VOLUME or `-v /path`: `volume prune` removes it when unused */
  Anonymous: boolean;
  /** set once the volume was filled from an image (or found not empty on first use): never filled again */
  Populated?: boolean;
}

/** The names of the containers that use a volume; the engine provides it (engine/volume-users.ts reads the containers' records). */
export type VolumeUsers = (volumeName: string) => string[] | Promise<string[]>;

/** docker marks anonymous volumes with this label. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';
