import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { RackerError, isErrno } from '../errors.js';
import { parseDigest, parseSize, verifyBuffer } from './digest.js';
import type { ImageFetcher, ResolvedImage } from './fetcher.js';
import { type Descriptor, hostPlatform, type ImageIndex, type ImageManifest, MAX_MANIFEST_BYTES, MEDIA, type Platform } from './oci.js';
import type { ImageConfig } from '../model/image.js';
import { imageConfigProblem } from './image-config.js';
import { shown, someOf } from '../untrusted.js';

// ---------------------------------------------------------------------------
// Manifest documents, shared with the registry fetcher: what is an index,
// what is an image manifest, which platform to take. Every digest and size in
// them is checked here, before anyone builds a URL or a path from it.
// ---------------------------------------------------------------------------

export type ManifestDocument =
  | { kind: 'index'; index: ImageIndex }
  | { kind: 'manifest'; manifest: ImageManifest };

const INDEX_TYPES: string[] = [MEDIA.ociIndex, MEDIA.dockerList];
const MANIFEST_TYPES: string[] = [MEDIA.ociManifest, MEDIA.dockerManifest];
const SCHEMA1_TYPES = ['application/vnd.docker.distribution.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v1+prettyjws'];
const REF_NAME = 'org.opencontainers.image.ref.name';
/** an index inside an index inside …: real images nest one level at most */
const MAX_INDEX_DEPTH = 4;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isStringMap = (v: unknown) => isObject(v) && Object.values(v).every(x => typeof x === 'string');
const isStringList = (v: unknown) => Array.isArray(v) && v.every(x => typeof x === 'string');

/** A descriptor from an untrusted document, with digest, size and every field racker reads checked. */
export function checkDescriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw new RackerError(`${where}: a descriptor is not an object`);
  const digest = value.digest;
  parseDigest(digest);
  const size = parseSize(value.size, digest as string);
  if (typeof value.mediaType !== 'string') throw new RackerError(`${where}: descriptor ${digest as string} has no media type`);
  const platform = value.platform ?? undefined;
  if (platform !== undefined && !(isObject(platform) && typeof platform.os === 'string' && typeof platform.architecture === 'string'
    && (platform.variant === undefined || platform.variant === null || typeof platform.variant === 'string'))) {
    throw new RackerError(`${where}: descriptor ${digest as string} has a malformed platform`);
  }
  if (value.annotations != null && !isStringMap(value.annotations)) {
    throw new RackerError(`${where}: descriptor ${digest as string} has annotations that are not an object of strings`);
  }
  if (value.urls != null && !isStringList(value.urls)) throw new RackerError(`${where}: descriptor ${digest as string} has urls that are not a list of strings`);
  return { ...(value as unknown as Descriptor), size, platform: platform as Platform | undefined, annotations: (value.annotations ?? undefined) as Descriptor['annotations'], urls: (value.urls ?? undefined) as string[] | undefined };
}

/**
 * Classify and check a manifest or index. `contentType` is the HTTP header,
 * used only when the document does not name its own media type.
 */
export function parseManifestDocument(bytes: Buffer, source: string, contentType?: string): ManifestDocument {
  const headerType = contentType?.split(';')[0].trim().toLowerCase();
  if (headerType && SCHEMA1_TYPES.includes(headerType)) {
    throw new RackerError(`unsupported manifest schema 1 from ${source}`, { hint: 'the image is too old; re-push it with a current tool' });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new RackerError(`the manifest from ${source} is not valid JSON`);
  }
  if (!isObject(doc)) throw new RackerError(`the manifest from ${source} is not a JSON object`);
  if (doc.schemaVersion === 1) {
    throw new RackerError(`unsupported manifest schema 1 from ${source}`, { hint: 'the image is too old; re-push it with a current tool' });
  }
  if (doc.schemaVersion !== 2) throw new RackerError(`the manifest from ${source} has schema version ${shown(doc.schemaVersion, 40)}, not 2`);
  if (doc.mediaType != null && typeof doc.mediaType !== 'string') throw new RackerError(`the manifest from ${source} has a mediaType that is not a string`);
  const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType
    : headerType && [...INDEX_TYPES, ...MANIFEST_TYPES].includes(headerType) ? headerType : undefined;
  const isIndex = mediaType ? INDEX_TYPES.includes(mediaType) : Array.isArray(doc.manifests);
  const isManifest = mediaType ? MANIFEST_TYPES.includes(mediaType) : isObject(doc.config) && Array.isArray(doc.layers);
  if (isIndex) {
    if (!Array.isArray(doc.manifests)) throw new RackerError(`the index from ${source} has no manifests list`);
    const manifests = doc.manifests.map(d => checkDescriptor(d, `index from ${source}`));
    return { kind: 'index', index: { ...(doc as unknown as ImageIndex), manifests } };
  }
  if (isManifest) {
    if (!Array.isArray(doc.layers)) throw new RackerError(`the manifest from ${source} has no layers list`);
    if (doc.annotations != null && !isStringMap(doc.annotations)) throw new RackerError(`the manifest from ${source} has annotations that are not an object of strings`);
    const config = checkDescriptor(doc.config, `manifest from ${source}`);
    const layers = doc.layers.map(d => checkDescriptor(d, `manifest from ${source}`));
    return { kind: 'manifest', manifest: { ...(doc as unknown as ImageManifest), config, layers } };
  }
  throw new RackerError(`unsupported manifest type '${mediaType === undefined ? 'unknown' : shown(mediaType, 100)}' from ${source}`);
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** arm64 without a variant is v8, arm without one is v7 (as containerd normalizes). */
function normalVariant(p: Platform): string | undefined {
  if (p.variant) return p.variant;
  if (p.architecture === 'arm64') return 'v8';
  if (p.architecture === 'arm') return 'v7';
  return undefined;
}

/** The entry of an index for a platform, or an error listing what the index offers. */
export function selectPlatform(manifests: Descriptor[], wanted: Platform, source: string): Descriptor {
  const matching = manifests.filter(m => m.platform && m.platform.os === wanted.os && m.platform.architecture === wanted.architecture
    && (!wanted.variant || normalVariant(m.platform) === normalVariant(wanted)));
  // without an asked-for variant, the default one (or none) comes first
  const best = matching.find(m => normalVariant(m.platform as Platform) === normalVariant(wanted)) ?? matching[0];
  if (best) return best;
  const offered = [...new Set(manifests.filter(m => m.platform && m.platform.os !== 'unknown').map(m => formatPlatform(m.platform as Platform)))];
  throw new RackerError(`no image for ${formatPlatform(wanted)} in ${source}; available: ${offered.length ? someOf(offered) : 'none'}`, {
    hint: 'the image is not built for this platform',
  });
}

export function parseImageConfig(bytes: Buffer, source: string): ImageConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new RackerError(`the image config from ${source} is not valid JSON`);
  }
  const problem = imageConfigProblem(doc);
  if (problem) throw new RackerError(`the image config from ${source} is malformed: ${problem}`, { hint: 'the image is broken; ask its publisher to rebuild it' });
  return doc as ImageConfig;
}

/** Walk from a resolved top-level document down to an image manifest, picking the platform. */
export async function descendToManifest(
  top: { doc: ManifestDocument; bytes: Buffer },
  fetchChild: (desc: Descriptor) => Promise<{ doc: ManifestDocument; bytes: Buffer }>,
  platform: Platform, source: string,
): Promise<{ manifest: ImageManifest; bytes: Buffer }> {
  let current = top;
  for (let depth = 0; current.doc.kind === 'index'; depth++) {
    if (depth >= MAX_INDEX_DEPTH) throw new RackerError(`indexes in ${source} nest deeper than ${MAX_INDEX_DEPTH} levels`);
    const desc = selectPlatform(current.doc.index.manifests, platform, source);
    current = await fetchChild(desc);
  }
  if (current.doc.manifest.config.size > MAX_MANIFEST_BYTES) {
    throw new RackerError(`the image config in ${source} is larger than ${MAX_MANIFEST_BYTES} bytes; refusing it`);
  }
  return { manifest: current.doc.manifest, bytes: current.bytes };
}

// ---------------------------------------------------------------------------
// The OCI image layout: dir/index.json, dir/blobs/<alg>/<hex>.
// ---------------------------------------------------------------------------

export interface OciLayoutOptions {
  dir: string;
  /** the org.opencontainers.image.ref.name to take; optional when the layout holds one image */
  tag?: string;
  platform?: Platform;
}

/** Reads an image from an OCI image layout on disk, verifying every blob it reads. */
export class OciLayoutFetcher implements ImageFetcher {
  readonly description: string;
  private readonly dir: string;
  private readonly tag: string | undefined;
  private readonly platform: Platform;

  constructor(opts: OciLayoutOptions) {
    this.dir = opts.dir;
    this.tag = opts.tag;
    this.platform = opts.platform ?? hostPlatform();
    this.description = `oci:${opts.dir}${opts.tag ? `:${opts.tag}` : ''}`;
  }

  /** Open a file of the layout as a regular file only (a FIFO would hang us, a device feed us forever). */
  private async openRegular(file: string, what: string): Promise<FileHandle> {
    let fh: FileHandle;
    try {
      fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) {
        throw new RackerError(`${what} is missing from ${this.dir}`, { hint: 'is this an OCI image layout (index.json, blobs/)?', cause: err });
      }
      throw new RackerError(`cannot open ${what} in ${this.dir}: ${(err as Error).message}`, { cause: err });
    }
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      throw new RackerError(`${what} in ${this.dir} is not a regular file`);
    }
    return fh;
  }

  private blobPath(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return path.join(this.dir, 'blobs', algorithm, hex);
  }

  /** A small blob (manifest, index, config), read whole and verified. */
  private async readSmallBlob(desc: Descriptor): Promise<Buffer> {
    const file = this.blobPath(desc.digest);
    const size = parseSize(desc.size, desc.digest);
    if (size > MAX_MANIFEST_BYTES) throw new RackerError(`blob ${desc.digest} in ${this.dir} is larger than ${MAX_MANIFEST_BYTES} bytes; refusing it`);
    const fh = await this.openRegular(file, `blob ${desc.digest}`);
    try {
      const buf = Buffer.alloc(size + 1);
      const { bytesRead } = await fh.read(buf, 0, size + 1, 0);
      const data = buf.subarray(0, bytesRead);
      verifyBuffer(data, desc.digest, size);
      return data;
    } finally {
      await fh.close();
    }
  }

  private async readIndexJson(): Promise<ImageIndex> {
    const fh = await this.openRegular(path.join(this.dir, 'index.json'), 'index.json');
    let bytes: Buffer;
    try {
      const buf = Buffer.alloc(MAX_MANIFEST_BYTES + 1);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      if (bytesRead > MAX_MANIFEST_BYTES) throw new RackerError(`${this.dir}/index.json is larger than ${MAX_MANIFEST_BYTES} bytes; refusing it`);
      bytes = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
    const doc = parseManifestDocument(bytes, `${this.dir}/index.json`, MEDIA.ociIndex);
    if (doc.kind !== 'index') throw new RackerError(`${this.dir}/index.json is not an image index`);
    return doc.index;
  }

  /** The entry of index.json the user asked for. */
  private pickEntry(index: ImageIndex): Descriptor {
    const tags = [...new Set(index.manifests.map(m => m.annotations?.[REF_NAME]).filter((t): t is string => !!t))];
    const tagList = tags.length ? someOf(tags) : 'none';
    if (this.tag !== undefined) {
      const tagged = index.manifests.filter(m => m.annotations?.[REF_NAME] === this.tag);
      if (tagged.length === 0) {
        throw new RackerError(`no image tagged '${shown(this.tag)}' in ${this.dir}; tags: ${tagList}`, { hint: `use oci:${this.dir}:<tag>` });
      }
      return tagged.length === 1 ? tagged[0] : selectPlatform(tagged, this.platform, this.description);
    }
    if (index.manifests.length === 1) return index.manifests[0];
    if (index.manifests.length === 0) throw new RackerError(`${this.dir} holds no images`);
    // an untagged index.json listing one image per platform is itself a multi-platform index
    if (tags.length === 0 && index.manifests.every(m => m.platform)) return selectPlatform(index.manifests, this.platform, this.description);
    throw new RackerError(`${this.dir} holds ${index.manifests.length} images; name one (tags: ${tagList})`, { hint: `use oci:${this.dir}:<tag>` });
  }

  private async readDocument(desc: Descriptor): Promise<{ doc: ManifestDocument; bytes: Buffer }> {
    const bytes = await this.readSmallBlob(desc);
    return { doc: parseManifestDocument(bytes, this.description, desc.mediaType), bytes };
  }

  async resolve(): Promise<ResolvedImage> {
    const entry = this.pickEntry(await this.readIndexJson());
    const top = await this.readDocument(entry);
    const { manifest, bytes } = await descendToManifest(top, d => this.readDocument(d), this.platform, this.description);
    const configBytes = await this.readSmallBlob(manifest.config);
    return {
      manifestDigest: entry.digest,
      manifest,
      manifestBytes: bytes,
      configDigest: manifest.config.digest,
      config: parseImageConfig(configBytes, this.description),
      configBytes,
    };
  }

  async openBlob(desc: Descriptor, offset = 0): Promise<{ stream: Readable; startsAt: number }> {
    const fh = await this.openRegular(this.blobPath(desc.digest), `blob ${desc.digest}`);
    const { size } = await fh.stat();
    const startsAt = offset > 0 && offset <= size ? offset : 0;
    return { stream: fh.createReadStream({ start: startsAt }), startsAt };
  }
}
