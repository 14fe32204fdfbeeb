/** What a container mounts: bind mounts (`-v /host:/ctr`), named and anonymous volumes, tmpfs. */

/** A bind mount of a host path. */
export interface VolumeSpec { source: string; target: string; readOnly: boolean }

export interface VolumeMount { kind: 'volume'; name: string; target: string; readOnly: boolean; anonymous: boolean; noCopy: boolean }
export interface TmpfsMount { kind: 'tmpfs'; target: string; size?: number; mode?: number; readOnly: boolean; flags: string[] }
