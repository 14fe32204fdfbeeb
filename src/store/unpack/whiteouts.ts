import { linkSync, type Stats } from 'node:fs';
import { isErrno } from '../../errors.js';
import { run } from '../../process.js';

/**
 * OCI whiteouts in overlayfs form: `d/.wh.x` deletes what lower layers have at
 * `d/x` and becomes a character device 0:0 there; `d/.wh..wh..opq` hides all
 * lower content of `d` (the xattr trusted.overlay.opaque=y on `d`).
 */

export const WHITEOUT = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
/** other `.wh..wh.*` names are AUFS bookkeeping, not content */
export const AUFS_META = '.wh..wh.';

export function isWhiteoutDevice(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** What this layer hides of the lower layers: deleted paths and opaque directories. */
export class Hidden {
  /** paths whose lower-layer content this layer deletes */
  readonly whiteouts = new Set<string>();
  /** directories whose lower-layer content this layer hides */
  readonly opaque = new Set<string>();

  /** True when this layer hides what lower layers have at parts (deleted it, or made an ancestor opaque). */
  hides(parts: readonly string[], includeSelf = true): boolean {
    if (this.opaque.has('')) return true;
    let rel = '';
    for (let i = 0; i < parts.length; i++) {
      rel = i ? `${rel}/${parts[i]}` : parts[i];
      const self = i === parts.length - 1;
      if ((includeSelf || !self) && this.whiteouts.has(rel)) return true;
      if (!self && this.opaque.has(rel)) return true;
    }
    return false;
  }
}

/**
 * Whiteouts are character devices 0:0. Node cannot mknod: make one with
 * mknod(1) and hardlink the rest to it (overlayfs shares one whiteout inode
 * the same way), so a layer with thousands of whiteouts costs one process.
 */
export async function makeWhiteoutDevices(dest: string, rels: readonly string[]): Promise<void> {
  let device: string | undefined;
  for (const rel of rels) {
    if (device !== undefined) {
      try {
        linkSync(`${dest}/${device}`, `${dest}/${rel}`);
        continue;
      } catch (err) {
        if (!isErrno(err, 'EMLINK')) throw err;
      }
    }
    await run('mknod', ['--', rel, 'c', '0', '0'], { cwd: dest, purpose: 'create a whiteout in the layer' });
    device = rel;
  }
}
