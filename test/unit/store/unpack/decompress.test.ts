import { describe, it, expect } from 'vitest';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { decompressStream } from '../../../../src/store/unpack/decompress.js';
import { MEDIA } from '../../../../src/image/oci.js';
import { CLEAR, thrown } from '../../../helpers/untrusted-text.js';

describe('decompressStream', () => {
  it.each([MEDIA.ociLayerGzip, MEDIA.dockerLayerGzip, MEDIA.ociLayerNondistGzip, MEDIA.dockerForeignGzip])('gunzips %s', async media => {
    const gunzip = decompressStream(media);
    expect(gunzip).not.toBeNull();
    const out = await buffer(Readable.from([gzipSync(Buffer.from('layer bytes'))]).pipe(gunzip!));
    expect(out.toString()).toBe('layer bytes');
  });

  it.each([MEDIA.ociLayerTar, 'application/vnd.oci.image.layer.nondistributable.v1.tar', 'application/vnd.docker.image.rootfs.diff.tar'])('leaves %s as it is', media => {
    expect(decompressStream(media)).toBeNull();
  });

  it('refuses zstd with a hint to use gzip', () => {
    expect(() => decompressStream(MEDIA.ociLayerZstd)).toThrow(/zstd .* is not supported/);
    try { decompressStream(MEDIA.ociLayerZstd); } catch (err) { expect((err as { hint?: string }).hint).toMatch(/gzip/); }
  });

  it('refuses other media types', () => {
    expect(() => decompressStream('application/x-rar')).toThrow('unsupported layer media type application/x-rar');
  });
});

describe('registry strings in messages', () => {
  it('an unknown layer media type is shown escaped', () => {
    const err = thrown(() => decompressStream(`application/x${CLEAR}`));
    expect(err.message).toBe('unsupported layer media type application/x\\x1b[2J');
  });
});
