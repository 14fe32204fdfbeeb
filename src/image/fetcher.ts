import type { Readable } from 'node:stream';
import type { Descriptor, ImageManifest } from './oci.js';
import type { ImageConfig } from '../model/image.js';

/**
 * An image as resolved from its source: the platform manifest and config,
 * both already verified against their digests and parsed.
 */
export interface ResolvedImage {
  /** digest of the manifest as the source named it (index digest when pulled through an index) */
  manifestDigest: string;
  manifest: ImageManifest;
  manifestBytes: Buffer;
  configDigest: string;
  config: ImageConfig;
  configBytes: Buffer;
}

/**
 * Where image bytes come from: a registry, an OCI layout, an archive.
 * A second source is a new implementation of this interface, not an `if`.
 */
export interface ImageFetcher {
  /** human-readable name of the source, for messages */
  readonly description: string;
  resolve(): Promise<ResolvedImage>;
  /**
   * The raw (still compressed) bytes of a blob. The caller verifies digest and
   * size while reading; `offset` asks for a resume from that byte where the
   * source can (the returned stream then starts there, or at 0 if it cannot:
   * `startsAt` says which).
   */
  openBlob(desc: Descriptor, offset?: number): Promise<{ stream: Readable; startsAt: number }>;
  close?(): Promise<void>;
}
