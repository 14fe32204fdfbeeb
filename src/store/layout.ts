import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseDigestHex } from '../image/digest.js';

/**
 * Where everything lives under the store root:
 *   blobs/sha256/<hex>        manifests and configs (small, verified)
 *   layers/<hex>/fs           one unpacked layer, in overlayfs lower-layer format
 *   layers/<hex>/layer.json   its bookkeeping (written last: a layer without it is not there)
 *   images/<hex>.json         one image record, keyed by config digest (the image id)
 *   tags.json                 name → image id
 *   containers/<id>/          one container: state, writable layer, mount point
 *   tmp/                      staging; renamed into place when complete
 *   locks/                    lock files
 *   supervisor/sock           the shared supervisor's socket (engine/supervisor-main.ts)
 *   supervisor/<id>           "pid starttime" of the process that runs container <id> now
 * Everything is written to tmp/ first and renamed, so a kill -9 leaves no half entry.
 */
export class StoreLayout {
  constructor(readonly root: string) {}

  get blobsDir(): string { return path.join(this.root, 'blobs', 'sha256'); }
  get layersDir(): string { return path.join(this.root, 'layers'); }
  get imagesDir(): string { return path.join(this.root, 'images'); }
  get containersDir(): string { return path.join(this.root, 'containers'); }
  get tmpDir(): string { return path.join(this.root, 'tmp'); }
  get locksDir(): string { return path.join(this.root, 'locks'); }
  get tagsFile(): string { return path.join(this.root, 'tags.json'); }
  get supervisorDir(): string { return path.join(this.root, 'supervisor'); }

  blob(digest: string): string { return path.join(this.blobsDir, parseDigestHex(digest)); }
  layerDir(digest: string): string { return path.join(this.layersDir, parseDigestHex(digest)); }
  layerFs(digest: string): string { return path.join(this.layerDir(digest), 'fs'); }
  imageRecord(id: string): string { return path.join(this.imagesDir, `${parseDigestHex(id)}.json`); }
  lock(name: string): string { return path.join(this.locksDir, `${name}.lock`); }

  async ensure(): Promise<void> {
    for (const dir of [this.blobsDir, this.layersDir, this.imagesDir, this.containersDir, this.tmpDir, this.locksDir]) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    }
  }
}
