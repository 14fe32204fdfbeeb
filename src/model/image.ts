/** An image as the store keeps it and a pull reports it. */

/** What racker knows about one pulled image. Keyed by config digest (docker's image id). */
export interface ImageRecord {
  id: string;
  /** digest of the manifest as pulled (index digest when pulled by an index) */
  manifestDigest: string;
  /** digest of the platform manifest bytes kept in blobs/ (differs from manifestDigest for index pulls) */
  manifestBlob?: string;
  /** repository@digest names, for `images --digests` and pulls by digest */
  repoDigests: string[];
  /** layer blob digests, bottom first */
  layers: string[];
  diffIds: string[];
  config: ImageConfig;
  /** bytes of the unpacked layers */
  size: number;
  pulledAt: string;
  /** where it came from, for messages: 'docker://…', 'oci:…' */
  source: string;
}

/** An image's config (OCI image config, docker's fields): read from the image, so untrusted. */
export interface ImageConfig {
  created?: string | null;
  architecture?: string | null;
  os?: string | null;
  config?: {
    User?: string | null;
    Env?: string[] | null;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string | null;
    Labels?: Record<string, string> | null;
    StopSignal?: string | null;
    ExposedPorts?: Record<string, object> | null;
    Volumes?: Record<string, object> | null;
    Healthcheck?: Record<string, unknown> | null;
  } | null;
  rootfs?: { type: 'layers'; diff_ids?: string[] | null } | null;
  history?: unknown[];
}

/** A pull's progress, layer by layer. */
export interface PullProgress {
  layerStart(digest: string, size: number): void;
  layerBytes(digest: string, bytes: number): void;
  layerDone(digest: string, state: 'pulled' | 'exists'): void;
  finish(): void;
}

export interface PullResult {
  record: ImageRecord;
  fetchedLayers: number;
  reusedLayers: number;
  fetchedBytes: number;
}

/**
 * The 12 hex digits docker prints for an id: the start of a container id (64
 * hex, no prefix), or of the hex after `sha256:` (or `sha512:`) of an image
 * id or a layer digest.
 */
export function shortId(id: string): string {
  return id.replace(/^sha(?:256|512):/, '').slice(0, 12);
}
