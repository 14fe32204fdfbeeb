import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import path from 'node:path';
import { RackerError, isErrno } from '../errors.js';
import { HttpError } from '../registry/http.js';
import { verbose } from '../log.js';
import { shown } from '../untrusted.js';
import { DigestVerifier, digestOfBuffer, parseDigestHex } from '../image/digest.js';
import type { ImageFetcher, ResolvedImage } from '../image/fetcher.js';
import type { Descriptor } from '../image/oci.js';
import { decompressStream } from './unpack/decompress.js';
import { unpackLayer } from './unpack/unpack-layer.js';
import { stagingName, sweepStaging, writeFileAtomic } from '../atomic.js';
import { withLock } from '../lock.js';
import { type ImageRecord, type PullProgress, type PullResult, shortId } from '../model/image.js';
import type { ImageStore, LayerRecord } from './image-store.js';

/** What a pull reports as it goes (the engine turns it into events). */
export interface PullOptions {
  /** re-fetch and re-unpack even what the store already has */
  force?: boolean;
  progress: PullProgress;
  /** names to point at the image once it is complete ('docker.io/library/busybox:latest') */
  tags: string[];
  /** turns the manifest digest into repository@digest names, when the source has a repository */
  repoDigest?: (manifestDigest: string) => string;
}

/** Layers whose media type says nothing is to be fetched from the registry. */
function isForeign(desc: Descriptor): boolean {
  return /foreign|nondistributable/.test(desc.mediaType) && !!desc.urls?.length;
}

/**
 * Where each layer of a manifest is kept in the store, bottom first. A layer is
 * unpacked over the layers below it (its whiteouts hide only what those have,
 * the parents it does not list take their metadata), so a layer the manifest
 * lists again, over other layers, gets a directory of its own, named after the
 * digests up to it; overlayfs would refuse one directory twice anyway. The
 * first use keeps the layer's digest, shared with other images.
 */
export function layerStoreKeys(digests: string[]): string[] {
  const seen = new Set<string>();
  return digests.map((d, i) => {
    if (!seen.has(d)) { seen.add(d); return d; }
    return `sha256:${createHash('sha256').update(`repeated-layer\n${digests.slice(0, i + 1).join('\n')}`).digest('hex')}`;
  });
}

/**
 * Downloaded (verified) layer blobs: digest → file in tmp/. A layer the
 * manifest lists again is read from here; at the commit each is linked into
 * blobs/ (as containerd keeps its content store), so `save` writes the bytes
 * the image was published with.
 */
type Spools = Map<string, string>;

export async function pullImage(store: ImageStore, fetcher: ImageFetcher, opts: PullOptions): Promise<PullResult> {
  await store.layout.ensure();
  const swept = await sweepStaging(store.layout.tmpDir);
  if (swept) verbose(`removed ${swept} half-written entr${swept === 1 ? 'y' : 'ies'} left by killed pulls`);
  const resolved = await fetcher.resolve();
  const { manifest, config } = resolved;
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw new RackerError(`image config lists ${diffIds.length} layers but the manifest has ${manifest.layers.length}`, { hint: 'the image is malformed; ask its publisher to rebuild it' });
  }
  for (const l of manifest.layers) {
    parseDigestHex(l.digest);
    if (isForeign(l)) throw new RackerError(`layer ${l.digest} is a foreign layer (${shown(l.mediaType)})`, { hint: 'racker does not fetch foreign layers' });
  }

  const digests = manifest.layers.map(l => l.digest);
  const keys = layerStoreKeys(digests);
  const spools: Spools = new Map();
  let fetchedLayers = 0;
  let fetchedBytes = 0;
  try {
    for (let i = 0; i < manifest.layers.length; i++) {
      const desc = manifest.layers[i];
      const lowers = keys.slice(0, i).reverse().map(k => store.layout.layerFs(k));
      const fetched = await ensureLayer(store, fetcher, desc, keys[i], diffIds[i], lowers, opts, spools);
      if (fetched) fetchedLayers++;
      if (fetched === 'downloaded') fetchedBytes += desc.size;
    }
    opts.progress.finish();
    const record = await commitImage(store, fetcher, resolved, keys, digests, diffIds, spools, opts);
    if (opts.tags.length) await store.tag(opts.tags, record.id);
    return { record, fetchedLayers, reusedLayers: manifest.layers.length - fetchedLayers, fetchedBytes };
  } finally {
    for (const file of spools.values()) await rm(file, { force: true });
  }
}

/** Publish the image record (under the gc lock), with its manifest, config and the layer blobs fetched. */
async function commitImage(store: ImageStore, fetcher: ImageFetcher, resolved: ResolvedImage, keys: string[], digests: string[],
  diffIds: string[], spools: Spools, opts: PullOptions): Promise<ImageRecord> {
  const { config } = resolved;
  return store.withGcLock(async () => {
    // a concurrent rmi may have collected a layer we found present: check before publishing
    for (const [i, key] of keys.entries()) {
      if (!await store.readLayer(key)) {
        throw new RackerError(`layer ${shortId(digests[i])} vanished during the pull (removed by a concurrent rmi?)`, { hint: 'run the pull again' });
      }
    }
    // stored under the digest of its own bytes: for an index pull manifestDigest names the index
    const manifestBlob = digestOfBuffer(resolved.manifestBytes);
    // the layer blobs as fetched (verified): what `save` writes, so ids and digests survive a save and load
    for (const [digest, file] of spools) await linkBlob(store, digest, file);
    await writeBlob(store, manifestBlob, resolved.manifestBytes);
    await writeBlob(store, resolved.configDigest, resolved.configBytes);
    const old = await store.readImage(resolved.configDigest, { check: false });
    const layerSizes = await Promise.all(keys.map(async k => (await store.readLayer(k))?.size ?? 0));
    const repoDigest = opts.repoDigest?.(resolved.manifestDigest);
    const rec: ImageRecord = {
      id: resolved.configDigest,
      manifestDigest: resolved.manifestDigest,
      manifestBlob,
      repoDigests: [...new Set([...(old?.repoDigests ?? []), ...(repoDigest ? [repoDigest] : [])])],
      layers: keys,
      diffIds,
      config,
      size: layerSizes.reduce((a, b) => a + b, 0),
      pulledAt: new Date().toISOString(),
      source: fetcher.description,
    };
    await store.writeImage(rec);
    return rec;
  });
}

async function linkBlob(store: ImageStore, digest: string, file: string): Promise<void> {
  try {
    await link(file, store.layout.blob(digest));
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err;
  }
}

async function writeBlob(store: ImageStore, digest: string, bytes: Buffer): Promise<void> {
  const file = store.layout.blob(digest);
  if (await stat(file).then(() => true, () => false)) return;
  await writeFileAtomic(file, bytes, store.layout.tmpDir);
}

/**
 * Fetch and unpack one layer into the store's directory `key` unless the store
 * has it. With `spools`, the blob is kept in tmp/ for the layer's next use
 * (or read from there), so a layer listed twice is downloaded once.
 * Returns false when the store had it.
 */
async function ensureLayer(store: ImageStore, fetcher: ImageFetcher, desc: Descriptor, key: string, diffId: string,
  lowerDirs: string[], opts: PullOptions, spools?: Spools): Promise<false | 'downloaded' | 'spooled'> {
  const hex = parseDigestHex(key);
  if (!opts.force && await store.readLayer(key)) {
    opts.progress.layerDone(desc.digest, 'exists');
    return false;
  }
  return withLock(store.layout.lock(`layer-${hex}`), async () => {
    // another racker may have finished it while we waited for the lock
    if (!opts.force && await store.readLayer(key)) {
      opts.progress.layerDone(desc.digest, 'exists');
      return false;
    }
    const spooled = spools?.has(desc.digest);
    const staging = stagingName(store.layout.tmpDir, `layer-${hex.slice(0, 12)}`);
    try {
      await mkdir(path.join(staging, 'fs'), { recursive: true, mode: 0o755 });
      opts.progress.layerStart(desc.digest, desc.size);
      const stats = await fetchAndUnpack(store, fetcher, desc, path.join(staging, 'fs'), lowerDirs, opts.progress, spools);
      if (stats.diffId !== diffId) {
        throw new RackerError(`layer ${shortId(desc.digest)}: uncompressed content ${stats.diffId} does not match the config's ${shown(diffId)}`, { hint: 'the image is corrupt or was tampered with; nothing was stored' });
      }
      const rec: LayerRecord = { digest: desc.digest, diffId, mediaType: desc.mediaType, size: stats.bytes, unpackedAt: new Date().toISOString() };
      await writeFileAtomic(path.join(staging, 'layer.json'), JSON.stringify(rec, null, 2));
      const final = store.layout.layerDir(key);
      if (opts.force) {
        const trash = stagingName(store.layout.tmpDir, `trash-${hex.slice(0, 12)}`);
        await rename(final, trash).catch(() => undefined);
        await rename(staging, final);
        await rm(trash, { recursive: true, force: true });
      } else {
        await rename(staging, final);
      }
      verbose(`layer ${shortId(desc.digest)}: ${stats.entries} entries, ${stats.bytes} bytes unpacked`);
      opts.progress.layerDone(desc.digest, 'pulled');
      return spooled ? 'spooled' : 'downloaded';
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    }
  });
}

/** How often one blob download may be resumed after the connection dropped. */
const MAX_RESUMES = 5;

/**
 * A blob's bytes that survive a dropped connection: the download goes on from
 * the byte reached (HTTP Range), so decompression and unpacking just continue.
 * A server that ignores Range sends from 0; the bytes already had are skipped.
 */
async function* resumableBlob(fetcher: ImageFetcher, desc: Descriptor): AsyncGenerator<Buffer> {
  let offset = 0;
  for (let resumes = 0; ; resumes++) {
    const { stream, startsAt } = await fetcher.openBlob(desc, offset);
    let skip = offset - startsAt;
    try {
      for await (const chunk of stream) {
        let c = chunk as Buffer;
        if (skip > 0) {
          if (c.length <= skip) { skip -= c.length; continue; }
          c = c.subarray(skip);
          skip = 0;
        }
        offset += c.length;
        yield c;
      }
      return;
    } catch (err) {
      // a connection that dropped mid-body is worth resuming; a wrong status, a registry too slow or our own verdict is not
      const dropped = !(err instanceof RackerError)
        || (err instanceof HttpError && err.status === undefined && err.code !== undefined && err.code !== 'ETOOSLOW');
      if (!dropped || resumes >= MAX_RESUMES || offset >= desc.size) throw err;
      verbose(`layer ${shortId(desc.digest)}: connection lost at byte ${offset} of ${desc.size} (${(err as Error).message}); resuming`);
    }
  }
}

async function fetchAndUnpack(store: ImageStore, fetcher: ImageFetcher, desc: Descriptor, dest: string, lowerDirs: string[],
  progress: PullProgress, spools?: Spools) {
  const spooled = spools?.get(desc.digest);
  const stream = spooled ? createReadStream(spooled) : Readable.from(resumableBlob(fetcher, desc), { objectMode: false });
  // keep the blob's bytes (verified below, as they stream) for the layer's next use and for blobs/
  const keepFile = spools && !spooled ? stagingName(store.layout.tmpDir, `blob-${parseDigestHex(desc.digest).slice(0, 12)}`) : undefined;
  let keep: FileHandle | undefined;
  if (keepFile) keep = await open(keepFile, 'wx', 0o600);
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      progress.layerBytes(desc.digest, chunk.length);
      if (!keep) return cb(null, chunk);
      keep.writeFile(chunk).then(() => cb(null, chunk), cb);
    },
  });
  try {
    const stats = await verifyAndUnpack(stream, counter, desc, dest, lowerDirs);
    if (keep && keepFile) {
      await keep.close();
      keep = undefined;
      spools!.set(desc.digest, keepFile);
    }
    return stats;
  } finally {
    if (keep) {
      await keep.close();
      await rm(keepFile!, { force: true });
    }
  }
}

async function verifyAndUnpack(stream: Readable, counter: Transform, desc: Descriptor, dest: string, lowerDirs: string[]) {
  const verifier = new DigestVerifier({ digest: desc.digest, size: desc.size });
  const decompress = decompressStream(desc.mediaType);
  let stats: Awaited<ReturnType<typeof unpackLayer>> | undefined;
  // the unpacker's own error says what was wrong; the pipeline reports only that it aborted
  let unpackError: unknown;
  const consume = async (source: AsyncIterable<Buffer>) => {
    try {
      stats = await unpackLayer(source, dest, { lowerDirs });
    } catch (err) {
      unpackError = err;
      throw err;
    }
  };
  try {
    if (decompress) await pipeline(stream, counter, verifier, decompress, consume);
    else await pipeline(stream, counter, verifier, consume);
  } catch (err) {
    if (unpackError instanceof RackerError) throw unpackError;
    if (err instanceof RackerError) throw err;
    const msg = (err as Error).message;
    throw new RackerError(`layer ${shortId(desc.digest)}: ${/unexpected end|incorrect header|invalid/i.test(msg) ? `corrupt compressed data (${msg})` : msg}`, { cause: err, hint: 'nothing was stored; try the pull again' });
  }
  if (!stats) throw new RackerError(`layer ${shortId(desc.digest)}: unpacking produced no result`);
  return stats;
}
