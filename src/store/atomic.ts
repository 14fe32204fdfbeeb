import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** A name in `dir` that no other process will pick: pid plus random. */
export function stagingName(dir: string, prefix: string): string {
  return path.join(dir, `${prefix}.${process.pid}.${randomBytes(4).toString('hex')}`);
}

/** Write a file so readers see either the old content or the whole new one. */
export async function writeFileAtomic(file: string, data: string | Buffer, tmpDir = path.dirname(file)): Promise<void> {
  const tmp = stagingName(tmpDir, `.${path.basename(file)}`);
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
