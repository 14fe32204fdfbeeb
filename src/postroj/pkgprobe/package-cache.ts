import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RackerError } from '../../errors.js';
import { verbose } from '../../log.js';
import { writeFileAtomic } from '../../atomic.js';

interface CacheEntry { url: string; size: number; etag?: string; lastModified?: string; fetchedAt: string }

/**
 * Packages downloaded from URLs, kept on the host so each is fetched once:
 *   <root>/cache/packages/<sha256(url)[:16]>/<file name>   the package
 *   <root>/cache/packages/<sha256(url)[:16]>/entry.json    url and size, written last
 * A cached file is used again only while its size is the one recorded at download.
 */
export class PackageCache {
  constructor(private readonly dir: string, private readonly opts: { timeoutMs?: number } = {}) {}

  private entryDir(url: URL): string {
    return path.join(this.dir, createHash('sha256').update(url.href).digest('hex').slice(0, 16));
  }

  static fileName(url: URL): string {
    const base = path.posix.basename(decodeURIComponent(url.pathname));
    // keep the name readable for apt and dnf, but never a path
    return base.replace(/[^A-Za-z0-9+._~-]/g, '_').replace(/^\.+/, '_') || 'package';
  }

  /** The path of the package on the host, downloading it first if it is not cached whole. */
  async get(url: URL, opts: { force?: boolean } = {}): Promise<string> {
    const dir = this.entryDir(url);
    const file = path.join(dir, PackageCache.fileName(url));
    const entryFile = path.join(dir, 'entry.json');
    if (!opts.force) {
      const entry = await readFile(entryFile, 'utf8').then(t => JSON.parse(t) as CacheEntry, () => undefined);
      const size = await stat(file).then(s => s.size, () => -1);
      if (entry && entry.url === url.href && entry.size === size) {
        verbose(`package ${url.href}: cached (${size} bytes)`);
        return file;
      }
    }
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await rm(entryFile, { force: true });
    const partial = `${file}.${process.pid}.partial`;
    try {
      const entry = await this.download(url, partial);
      await rename(partial, file);
      await writeFileAtomic(entryFile, JSON.stringify(entry, null, 2) + '\n');
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    } finally {
      await rm(partial, { force: true });
    }
    return file;
  }

  private async download(url: URL, to: string): Promise<CacheEntry> {
    verbose(`downloading ${url.href}`);
    let res: Response;
    try {
      res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10 * 60_000) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new RackerError(`cannot download package ${url.href}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, { hint: 'check the URL and that the server is reachable', cause: err });
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new RackerError(`cannot download package ${url.href}: ${res.status} ${res.statusText}`.trim(), { hint: res.status === 404 ? 'the URL does not exist; check the version and architecture in the file name' : 'check the URL' });
    }
    const expected = Number(res.headers.get('content-length') ?? NaN);
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(to, { mode: 0o644 }));
    const size = (await stat(to)).size;
    if (Number.isFinite(expected) && size !== expected) {
      throw new RackerError(`download of ${url.href} is incomplete: ${size} of ${expected} bytes`, { hint: 'try again' });
    }
    return {
      url: url.href, size, etag: res.headers.get('etag') ?? undefined,
      lastModified: res.headers.get('last-modified') ?? undefined, fetchedAt: new Date().toISOString(),
    };
  }
}
