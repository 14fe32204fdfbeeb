import { createHash } from 'node:crypto';
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { RackerError } from '../../errors.js';
import { readTar, tapChunks } from '../../image/tar-reader.js';
import { LowerView } from './lower-view.js';
import { LayerWriter } from './writer.js';

/**
 * Unpacks one layer archive into its own empty directory, in overlayfs
 * lower-layer format, so that containers stack the layer directories instead
 * of copying them:
 *
 * - an OCI whiteout `d/.wh.x` becomes a character device 0:0 at `d/x`, and an
 *   opaque marker `d/.wh..wh..opq` the xattr trusted.overlay.opaque=y on `d`;
 *   whiteouts only hide what lower layers have (an entry of this layer wins);
 *   see whiteouts.ts;
 * - a directory this layer needs but does not list is created with the
 *   metadata the lower layers give it, so the stacked view equals a flattened
 *   unpack (what `umoci unpack` produces); see tree.ts and lower-view.ts;
 * - a parent that is a symlink *in this layer* is an error; one that is a
 *   symlink *in a lower layer* is followed the way a flattened unpack follows
 *   it, scoped to the root (`bin -> usr/bin` then `bin/foo` writes `usr/bin/foo`;
 *   `etc -> /host/dir` then `etc/f` writes `host/dir/f` inside the layer);
 * - device nodes are skipped (the container's /dev comes from the runtime);
 *   FIFOs are created; see writer.ts;
 * - xattrs from the archive are applied except trusted.* (the host's overlayfs
 *   would honour trusted.overlay.*), security.selinux (host policy, as umoci
 *   does) and other system.* than POSIX ACLs; dropped ones are counted; see
 *   xattrs.ts.
 *
 * Nothing is ever written through a symlink: the directory starts empty and
 * only we write in it, so every parent is checked with lstat once, and the
 * batched helpers (mknod, mkfifo, setfattr) run only on paths whose parents
 * are still those checked directories (pending work is flushed before any
 * entry is removed). Unpacking is bounded by the disk only; on any error the
 * caller removes the directory.
 */

export interface UnpackStats {
  /** sha256:<hex> of the whole uncompressed stream */
  diffId: string;
  /** bytes of the uncompressed stream */
  bytes: number;
  entries: number;
  skippedDevices: number;
  droppedXattrs: number;
}

export interface UnpackOptions {
  /** layer directories below this one, topmost first */
  lowerDirs?: string[];
  onBytes?: (n: number) => void;
}

export async function unpackLayer(tar: AsyncIterable<Buffer>, dest: string, opts: UnpackOptions = {}): Promise<UnpackStats> {
  const st = lstatSync(dest, { throwIfNoEntry: false });
  if (!st?.isDirectory()) throw new RackerError(`cannot unpack a layer into ${dest}: not a directory`);
  if (readdirSync(dest).length) throw new RackerError(`cannot unpack a layer into ${dest}: not empty`);
  const hash = createHash('sha256');
  let bytes = 0;
  const tapped = tapChunks(tar, chunk => {
    hash.update(chunk);
    bytes += chunk.length;
    opts.onBytes?.(chunk.length);
  });
  const writer = new LayerWriter(path.resolve(dest), new LowerView((opts.lowerDirs ?? []).map(d => path.resolve(d))));
  for await (const entry of readTar(tapped)) await writer.apply(entry);
  try {
    await writer.finish();
  } catch (err) {
    if (err instanceof RackerError) throw err;
    throw new RackerError(`cannot finish unpacking the layer: ${(err as Error).message}`, { cause: err });
  }
  return { diffId: `sha256:${hash.digest('hex')}`, bytes, entries: writer.entries, skippedDevices: writer.skippedDevices, droppedXattrs: writer.droppedXattrs };
}
