import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { RackerError } from '../errors.js';
import { shown } from '../untrusted.js';
import { MAX_MANIFEST_BYTES } from './oci.js';
import { readTar } from './tar-reader.js';

/**
 * What an image archive (docker save, podman save, skopeo's docker-archive or
 * oci-archive) holds, read once with the strict tar reader before anything
 * else touches the file: every name stays inside the archive, a link may only
 * point at a file of the archive, blobs named by digest hash to that digest,
 * and manifest.json / index.json are bounded. What it returns is how to copy
 * each image out of the archive and the names to give it.
 */

export interface ArchiveImage {
  /** what follows `docker-archive:FILE:` or `oci-archive:FILE:` to pick this image */
  selector: string;
  /** repository:tag names the archive gives the image (may be empty) */
  names: string[];
}

export interface ArchiveContents {
  transport: 'docker-archive' | 'oci-archive';
  images: ArchiveImage[];
}

/** more entries than any real archive has: a bound on the bookkeeping kept per entry */
const MAX_ENTRIES = 100_000;

function refuse(file: string, what: string): RackerError {
  return new RackerError(`refusing to load ${file}: ${what}`, { hint: 'the archive is malformed or hostile; nothing was stored' });
}

/** The archive-relative form of an entry name, or undefined when it climbs out or is absolute. */
export function archivePath(name: string): string | undefined {
  if (name.startsWith('/') || name.includes('\0')) return undefined;
  const parts = name.split('/').filter(p => p !== '' && p !== '.');
  if (parts.some(p => p === '..')) return undefined;
  return parts.join('/');
}

interface Entry { type: 'file' | 'dir' | 'symlink'; target?: string }

/** Follow links inside the archive to a regular file; undefined when a link leaves it, loops or ends nowhere. */
function resolveFile(entries: Map<string, Entry>, name: string): string | undefined {
  let current = name;
  for (let hops = 0; hops < 16; hops++) {
    const e = entries.get(current);
    if (!e) return undefined;
    if (e.type === 'file') return current;
    if (e.type !== 'symlink' || e.target === undefined) return undefined;
    if (e.target.startsWith('/')) return undefined;
    const joined = archivePath(path.posix.join(path.posix.dirname(current), e.target));
    if (joined === undefined) return undefined;
    current = joined;
  }
  return undefined;
}

function parseJson(bytes: Buffer, file: string, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw refuse(file, `${what} is not valid JSON`);
  }
}

/** `source` is the file read; `file` names the archive in messages (the user's path, or stdin). */
export async function scanArchive(source: string, file = source): Promise<ArchiveContents> {
  const entries = new Map<string, Entry>();
  const docs = new Map<string, Buffer>();
  for await (const e of readTar(createReadStream(source))) {
    const name = archivePath(e.name);
    if (name === undefined) throw refuse(file, `entry '${shown(e.name, 100)}' lies outside the archive`);
    if (name === '') { if (e.type === 'dir') continue; throw refuse(file, 'an entry replaces the archive\'s root'); }
    if (entries.has(name)) throw refuse(file, `entry '${shown(name, 100)}' appears twice`);
    if (entries.size >= MAX_ENTRIES) throw refuse(file, `more than ${MAX_ENTRIES} entries`);
    if (e.type !== 'file' && e.type !== 'dir' && e.type !== 'symlink') throw refuse(file, `entry '${shown(name, 100)}' is a ${e.type}, not a file`);
    entries.set(name, { type: e.type, target: e.type === 'symlink' ? e.linkname : undefined });
    if (e.type !== 'file') continue;
    if (name === 'manifest.json' || name === 'index.json') {
      if (e.size > MAX_MANIFEST_BYTES) throw refuse(file, `${name} is larger than ${MAX_MANIFEST_BYTES} bytes`);
      const chunks: Buffer[] = [];
      for await (const c of e.body()) chunks.push(Buffer.from(c));
      docs.set(name, Buffer.concat(chunks));
      continue;
    }
    // a blob named by its digest must hash to it (docker 25+, podman and skopeo archives keep blobs/sha256/HEX)
    const m = /^(?:blobs\/sha256\/([a-f0-9]{64})|([a-f0-9]{64})\.json)$/.exec(name);
    if (m) {
      const hash = createHash('sha256');
      for await (const c of e.body()) hash.update(c);
      const got = hash.digest('hex');
      const want = m[1] ?? m[2];
      if (got !== want) throw refuse(file, `${name} holds content with digest sha256:${got}, not the one its name says`);
    }
  }
  for (const [name, e] of entries) {
    if (e.type === 'symlink' && resolveFile(entries, name) === undefined) {
      throw refuse(file, `link '${shown(name, 100)}' points outside the archive or at no file in it`);
    }
  }
  const manifest = docs.get('manifest.json');
  if (manifest) return { transport: 'docker-archive', images: dockerImages(parseJson(manifest, file, 'manifest.json'), entries, file) };
  const index = docs.get('index.json');
  if (index && entries.has('oci-layout')) return { transport: 'oci-archive', images: ociImages(parseJson(index, file, 'index.json'), file) };
  throw refuse(file, 'it has neither a manifest.json (docker-archive) nor an index.json and oci-layout (oci-archive)');
}

function dockerImages(doc: unknown, entries: Map<string, Entry>, file: string): ArchiveImage[] {
  if (!Array.isArray(doc) || doc.length === 0) throw refuse(file, 'manifest.json is not a non-empty list');
  return doc.map((item: unknown, i) => {
    const it = item as { Config?: unknown; RepoTags?: unknown; Layers?: unknown };
    if (typeof item !== 'object' || item === null || typeof it.Config !== 'string' || !Array.isArray(it.Layers)
      || !it.Layers.every(l => typeof l === 'string') || (it.RepoTags != null && !(Array.isArray(it.RepoTags) && it.RepoTags.every(t => typeof t === 'string')))) {
      throw refuse(file, `manifest.json entry ${i} is malformed (needs Config, Layers and RepoTags as strings)`);
    }
    for (const f of [it.Config, ...(it.Layers as string[])]) {
      const rel = archivePath(f);
      if (rel === undefined || resolveFile(entries, rel) === undefined) throw refuse(file, `manifest.json names '${shown(f, 100)}', which is not a file in the archive`);
    }
    return { selector: `@${i}`, names: (it.RepoTags as string[] | undefined) ?? [] };
  });
}

const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';

function ociImages(doc: unknown, file: string): ArchiveImage[] {
  const manifests = (doc as { manifests?: unknown })?.manifests;
  if (!Array.isArray(manifests) || manifests.length === 0) throw refuse(file, 'index.json lists no images');
  const images: ArchiveImage[] = [];
  for (const m of manifests as { annotations?: Record<string, unknown> }[]) {
    const ref = m?.annotations?.[REF_NAME];
    const full = m?.annotations?.[CONTAINERD_NAME];
    if (typeof ref !== 'string' || ref === '') {
      if (manifests.length > 1) throw refuse(file, 'index.json lists several images and one has no name (org.opencontainers.image.ref.name)');
      images.push({ selector: '', names: typeof full === 'string' ? [full] : [] });
      continue;
    }
    // podman and docker write the whole name, skopeo what it was given (often a bare tag)
    const name = typeof full === 'string' ? full : ref;
    images.push({ selector: ref, names: /[:/]/.test(name) ? [name] : [] });
  }
  return images;
}
