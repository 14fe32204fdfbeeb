import { randomHex } from './random.js';
import { open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** A name in `dir` that no other process will pick: pid plus random. */
export function stagingName(dir: string, prefix: string): string {
  return path.join(dir, `${prefix}.${process.pid}.${randomHex(4)}`);
}

/**
 * Write a file so readers see either the old content or the whole new one.
 * `durable: false` skips the fsync (several ms each on a busy disk) for what
 * is thrown away anyway when the host goes down, such as the record of a
 * `--rm` container; the rename still makes each write whole to readers.
 */
export async function writeFileAtomic(file: string, data: string | Buffer, tmpDir = path.dirname(file), opts: { durable?: boolean } = {}): Promise<void> {
  const tmp = stagingName(tmpDir, `.${path.basename(file)}`);
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(data);
      if (opts.durable !== false) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Remove what processes killed mid-work left in a staging directory: names
 * from stagingName() whose pid is gone. A live pid (even a reused one) keeps
 * its entries; they are swept once that process is gone too.
 */
export async function sweepStaging(dir: string): Promise<number> {
  let removed = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const m = /\.(\d+)\.[0-9a-f]{8}$/.exec(name);
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
      continue;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPERM') continue;
    }
    await rm(path.join(dir, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}
