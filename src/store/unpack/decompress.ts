import type { Transform } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { RackerError } from '../../errors.js';
import { shown } from '../../untrusted.js';
import { MEDIA } from '../../image/oci.js';

/** gzip → a gunzip stream; plain tar → null (nothing to do); anything else is refused. */
export function decompressStream(mediaType: string): Transform | null {
  switch (mediaType) {
    case MEDIA.ociLayerGzip:
    case MEDIA.dockerLayerGzip:
    case MEDIA.ociLayerNondistGzip:
    case MEDIA.dockerForeignGzip:
      // let decompression (in the thread pool) run ahead while entries are written
      return createGunzip({ chunkSize: 64 * 1024, readableHighWaterMark: 1024 * 1024 } as ZlibOptions);
    case MEDIA.ociLayerTar:
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar':
    case 'application/vnd.docker.image.rootfs.diff.tar':
      return null;
    case MEDIA.ociLayerZstd:
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd':
      throw new RackerError(`layer compression zstd (${shown(mediaType)}) is not supported`, {
        hint: 'pull a gzip variant of the image, or convert it: skopeo copy --dest-compress-format=gzip …',
      });
    default:
      throw new RackerError(`unsupported layer media type ${shown(mediaType)}`, { hint: 'racker unpacks tar and tar+gzip layers' });
  }
}
