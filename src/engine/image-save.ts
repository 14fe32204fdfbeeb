import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { RackerError, isErrno } from '../errors.js';
import { shortId } from '../model/image.js';
import type { ImageManifest } from '../image/oci.js';
import { MEDIA } from '../image/oci.js';
import { parseReference } from '../image/reference.js';
import { writeTar, type TarMember } from '../image/tar-writer.js';
import type { ImageStore } from '../store/image-store.js';
import type { ImageRecord } from '../model/image.js';
import { splitName, storedNameCandidates, type ImageService } from './images.js';

export type ArchiveFormat = 'docker-archive' | 'oci-archive';

interface SavedImage {
  record: ImageRecord;
  /** docker's RepoTags: familiar repository:tag names, as the user named the image */
  repoTags: string[];
  manifestDigest: string;
  manifestBytes: Buffer;
  manifest: ImageManifest;
}

function blobPath(digest: string): string {
  return `blobs/sha256/${digest.slice('sha256:'.length)}`;
}

/** The name `save` writes for a stored name: docker's familiar form, or nothing for a name that is no registry reference. */
function repoTag(stored: string): string | undefined {
  try {
    if (parseReference(stored).transport !== 'docker') return undefined;
  } catch {
    return undefined;
  }
  const { repository, tag } = splitName(stored);
  return tag === '<none>' ? undefined : `${repository}:${tag}`;
}

async function blobSize(store: ImageStore, digest: string, image: string): Promise<number> {
  try {
    return (await stat(store.layout.blob(digest))).size;
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
    throw new RackerError(`image ${image} has no stored blob ${shortId(digest)}: it was pulled by a racker that kept only unpacked layers`, {
      hint: `fetch it again to keep its blobs: racker pull --force ${image}`,
    });
  }
}

/** Look up every image (by name or id), all before the first byte is written. */
async function collect(images: ImageService, inputs: string[]): Promise<SavedImage[]> {
  const byId = new Map<string, SavedImage>();
  const tags = await images.store.readTags();
  for (const input of inputs) {
    const record = await images.find(input);
    if (!record) throw new RackerError(`No such image: ${input}`, { hint: 'racker images lists what is in the store' });
    const stored = storedNameCandidates(input).find(n => tags[n] === record.id);
    const name = stored === undefined ? undefined : repoTag(stored);
    const seen = byId.get(record.id);
    if (seen) {
      if (name && !seen.repoTags.includes(name)) seen.repoTags.push(name);
      continue;
    }
    const manifestDigest = record.manifestBlob ?? record.manifestDigest;
    let manifestBytes: Buffer;
    try {
      manifestBytes = await readFile(images.store.layout.blob(manifestDigest));
    } catch {
      throw new RackerError(`image ${input}: its manifest is missing from the store`, { hint: `pull it again: racker pull --force ${input}` });
    }
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as ImageManifest;
    byId.set(record.id, { record, repoTags: name ? [name] : [], manifestDigest, manifestBytes, manifest });
  }
  return [...byId.values()];
}

/**
 * docker `save` / podman `save`: one archive holding every image named, each
 * blob once. docker-archive is docker's manifest.json layout (the format
 * `docker load` reads); oci-archive an OCI image layout, one index entry per
 * name. Blobs are the ones the image was pulled with, so ids and digests
 * survive a save and a load.
 */
export async function saveArchive(images: ImageService, inputs: string[], format: ArchiveFormat): Promise<AsyncIterable<Buffer>> {
  const store = images.store;
  const saved = await collect(images, inputs);
  const sizes = new Map<string, number>();
  for (const s of saved) {
    for (const d of [s.record.id, ...s.manifest.layers.map(l => l.digest)]) {
      if (!sizes.has(d)) sizes.set(d, await blobSize(store, d, inputs[0]));
    }
  }
  const members: TarMember[] = [{ name: 'blobs', kind: 'dir' }, { name: 'blobs/sha256', kind: 'dir' }];
  const blob = (digest: string): TarMember => ({ name: blobPath(digest), kind: 'file', size: sizes.get(digest)!, content: () => createReadStream(store.layout.blob(digest)) });
  const json = (name: string, value: unknown): TarMember => {
    const bytes = Buffer.from(JSON.stringify(value));
    return { name, kind: 'file', size: bytes.length, content: () => bytes };
  };
  for (const d of sizes.keys()) members.push(blob(d));
  if (format === 'docker-archive') {
    members.push(json('manifest.json', saved.map(s => ({
      Config: blobPath(s.record.id),
      RepoTags: s.repoTags.length ? s.repoTags : null,
      Layers: s.manifest.layers.map(l => blobPath(l.digest)),
    }))));
  } else {
    const written = new Set<string>();
    const index: Record<string, unknown>[] = [];
    for (const s of saved) {
      if (!written.has(s.manifestDigest)) {
        written.add(s.manifestDigest);
        members.push({ name: blobPath(s.manifestDigest), kind: 'file', size: s.manifestBytes.length, content: () => s.manifestBytes });
      }
      const entry = { mediaType: s.manifest.mediaType ?? MEDIA.ociManifest, digest: s.manifestDigest, size: s.manifestBytes.length };
      if (s.repoTags.length === 0) index.push(entry);
      for (const name of s.repoTags) index.push({ ...entry, annotations: { 'org.opencontainers.image.ref.name': name, 'io.containerd.image.name': name } });
    }
    members.push(json('oci-layout', { imageLayoutVersion: '1.0.0' }));
    members.push(json('index.json', { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: index }));
  }
  return writeTar(members);
}
