import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import path from 'node:path';
import { RackerError } from '../errors.js';
import { HttpError } from '../registry/http.js';
import { verbose } from '../log.js';
import { shown } from '../untrusted.js';
import { DigestVerifier, digestOfBuffer } from '../image/digest.js';
import type { ImageFetcher } from '../image/fetcher.js';
import type { Descriptor } from '../image/oci.js';
import { decompressStream } from './unpack/decompress.js';
import { unpackLayer } from './unpack/unpack-layer.js';
import { stagingName, sweepStaging, writeFileAtomic } from './atomic.js';
import { withLock } from './lock.js';
import { parseDigestHex, shortId } from '../image/digest.js';
import type { ImageRecord, ImageStore, LayerRecord } from './image-store.js';
import type { PullProgress } from './progress.js';

export interface PullOptions {
  /** re-fetch and re-unpack even what the store already has */
  force?: boolean;
  progress: PullProgress;
  /** names to point at the image once it is complete ('docker.io/library/busybox:latest') */
  tags: string[];
  /** turns the manifest digest into repository@digest names, when the source has a repository */
  repoDigest?: (manifestDigest: string) => string;
}

export interface PullResult {
  record: ImageRecord;
  fetchedLayers: number;
  reusedLayers: number;
  fetchedBytes: number;
}

/** Layers whose media type says nothing is to be fetched from the registry. */
function isForeign(desc: Descriptor): boolean {
  return /foreign|nondistributable/.test(desc.mediaType) && !!desc.urls?.length;
}

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

  let fetchedLayers = 0;
  let fetchedBytes = 0;
  for (let i = 0; i < manifest.layers.length; i++) {
    const desc = manifest.layers[i];
    const lowers = manifest.layers.slice(0, i).reverse().map(l => store.layout.layerFs(l.digest));
    const fetched = await ensureLayer(store, fetcher, desc, diffIds[i], lowers, opts);
    if (fetched) { fetchedLayers++; fetchedBytes += desc.size; }
  }
  opts.progress.finish();

  const record = await store.withGcLock(async () => {
    // a concurrent rmi may have collected a layer we found present: check before publishing
    for (const l of manifest.layers) {
      if (!await store.readLayer(l.digest)) {
        throw new RackerError(`layer ${shortId(l.digest)} vanished during the pull (removed by a concurrent rmi?)`, { hint: 'run the pull again' });
      }
    }
    // stored under the digest of its own bytes: for an index pull manifestDigest names the index
    const manifestBlob = digestOfBuffer(resolved.manifestBytes);
    await writeBlob(store, manifestBlob, resolved.manifestBytes);
    await writeBlob(store, resolved.configDigest, resolved.configBytes);
    const old = await store.readImage(resolved.configDigest, { check: false });
    const layerSizes = await Promise.all(manifest.layers.map(async l => (await store.readLayer(l.digest))?.size ?? 0));
    const repoDigest = opts.repoDigest?.(resolved.manifestDigest);
    const rec: ImageRecord = {
      id: resolved.configDigest,
      manifestDigest: resolved.manifestDigest,
      manifestBlob,
      repoDigests: [...new Set([...(old?.repoDigests ?? []), ...(repoDigest ? [repoDigest] : [])])],
      layers: manifest.layers.map(l => l.digest),
      diffIds,
      config,
      size: layerSizes.reduce((a, b) => a + b, 0),
      pulledAt: new Date().toISOString(),
      source: fetcher.description,
    };
    await store.writeImage(rec);
    return rec;
  });
  if (opts.tags.length) await store.tag(opts.tags, record.id);
  return { record, fetchedLayers, reusedLayers: manifest.layers.length - fetchedLayers, fetchedBytes };
}

async function writeBlob(store: ImageStore, digest: string, bytes: Buffer): Promise<void> {
  const file = store.layout.blob(digest);
  if (await stat(file).then(() => true, () => false)) return;
  await writeFileAtomic(file, bytes, store.layout.tmpDir);
}

/** Fetch and unpack one layer unless the store has it. Returns true when it was fetched. */
async function ensureLayer(store: ImageStore, fetcher: ImageFetcher, desc: Descriptor, diffId: string,
  lowerDirs: string[], opts: PullOptions): Promise<boolean> {
  const hex = parseDigestHex(desc.digest);
  if (!opts.force && await store.readLayer(desc.digest)) {
    opts.progress.layerDone(desc.digest, 'exists');
    return false;
  }
  return withLock(store.layout.lock(`layer-${hex}`), async () => {
    // another racker may have finished it while we waited for the lock
    if (!opts.force && await store.readLayer(desc.digest)) {
      opts.progress.layerDone(desc.digest, 'exists');
      return false;
    }
    const staging = stagingName(store.layout.tmpDir, `layer-${hex.slice(0, 12)}`);
    try {
      await mkdir(path.join(staging, 'fs'), { recursive: true, mode: 0o755 });
      opts.progress.layerStart(desc.digest, desc.size);
      const stats = await fetchAndUnpack(fetcher, desc, path.join(staging, 'fs'), lowerDirs, opts.progress);
      if (stats.diffId !== diffId) {
        throw new RackerError(`layer ${shortId(desc.digest)}: uncompressed content ${stats.diffId} does not match the config's ${shown(diffId)}`, { hint: 'the image is corrupt or was tampered with; nothing was stored' });
      }
      const rec: LayerRecord = { digest: desc.digest, diffId, mediaType: desc.mediaType, size: stats.bytes, unpackedAt: new Date().toISOString() };
      await writeFileAtomic(path.join(staging, 'layer.json'), JSON.stringify(rec, null, 2));
      const final = store.layout.layerDir(desc.digest);
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
      return true;
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
      // a connection that dropped mid-body is worth resuming; a wrong status or our own verdict is not
      const dropped = !(err instanceof RackerError) || (err instanceof HttpError && err.status === undefined && err.code !== undefined);
      if (!dropped || resumes >= MAX_RESUMES || offset >= desc.size) throw err;
      verbose(`layer ${shortId(desc.digest)}: connection lost at byte ${offset} of ${desc.size} (${(err as Error).message}); resuming`);
    }
  }
}

async function fetchAndUnpack(fetcher: ImageFetcher, desc: Descriptor, dest: string, lowerDirs: string[], progress: PullProgress) {
  const stream = Readable.from(resumableBlob(fetcher, desc), { objectMode: false });
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) { progress.layerBytes(desc.digest, chunk.length); cb(null, chunk); },
  });
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
