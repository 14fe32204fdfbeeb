import { createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { RackerError } from '../errors.js';
import { scanArchive } from '../image/archive-contents.js';
import { ArchiveFetcher } from '../image/archive-fetcher.js';
import { parseImageArg } from './image-source.js';
import { stagingName } from '../atomic.js';
import type { ImageService } from './images.js';

/** One image `load` stored: the names it got (as the archive spelled them) and its id. */
export interface LoadedImage {
  id: string;
  names: string[];
}

/** Copy the archive (a file or stdin, maybe gzipped) into the store's tmp/, uncompressed, where skopeo can read it. */
async function spool(source: Readable, tmpDir: string): Promise<string> {
  const file = stagingName(tmpDir, 'load');
  const iter = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await iter.next();
  const head = first.done ? Buffer.alloc(0) : Buffer.from(first.value);
  if (head.length === 0) throw new RackerError('the archive is empty', { hint: 'give a file with -i or pipe one to stdin' });
  const rest = async function* () {
    yield head;
    for (let r = await iter.next(); !r.done; r = await iter.next()) yield r.value;
  };
  const gzipped = head[0] === 0x1f && head[1] === 0x8b;
  try {
    if (gzipped) await pipeline(rest, createGunzip(), createWriteStream(file, { flags: 'wx', mode: 0o600 }));
    else await pipeline(rest, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
  } catch (err) {
    await rm(file, { force: true });
    if (err instanceof RackerError) throw err;
    throw new RackerError(`cannot read the archive: ${(err as Error).message}`, { cause: err, hint: 'the archive is truncated or not an image archive; nothing was stored' });
  }
  return file;
}

/**
 * docker/podman `load`: every image of a docker-archive or oci-archive. The
 * whole archive is checked first (src/image/archive-contents.ts), then each
 * image goes through the pull pipeline, which verifies and unpacks its layers.
 */
export async function loadArchive(images: ImageService, input: { file?: string; stdin?: Readable }, opts: { quiet?: boolean } = {}): Promise<LoadedImage[]> {
  const store = images.store;
  await store.layout.ensure();
  let source: Readable;
  if (input.file !== undefined) {
    const fh = await open(input.file, 'r').catch((err: NodeJS.ErrnoException) => {
      throw new RackerError(`cannot open ${input.file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`, { hint: 'check the path given to -i' });
    });
    source = fh.createReadStream();
  } else {
    source = input.stdin ?? process.stdin;
  }
  const file = await spool(source, store.layout.tmpDir);
  try {
    const label = input.file ?? 'the archive from stdin';
    const contents = await scanArchive(file, label);
    // every name is checked before the first image is stored
    const named = contents.images.map(img => ({
      ...img,
      tags: img.names.flatMap(n => {
        try {
          return parseImageArg(n).names.tags;
        } catch {
          throw new RackerError(`refusing to load ${label}: it names an image '${n.slice(0, 100)}', which is not a valid image name`, { hint: 'nothing was stored' });
        }
      }),
    }));
    const out: LoadedImage[] = [];
    for (const [i, img] of named.entries()) {
      const fetcher = new ArchiveFetcher({ transport: contents.transport, file, tag: img.selector || undefined, label: `${contents.transport} ${label}, image ${i + 1} of ${named.length}` });
      try {
        const r = await images.pullFrom(fetcher, img.names[0] ?? 'archive', { quiet: opts.quiet, tags: img.tags });
        out.push({ id: r.record.id, names: img.names });
      } finally {
        await fetcher.close();
      }
    }
    return out;
  } finally {
    await rm(file, { force: true });
  }
}
