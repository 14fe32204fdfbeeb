import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

/** Why a file a user named was not read: said after "cannot read FILE: ". */
export class FileRefused extends Error {}

/**
 * Read a file a user named, once, whole, within `max` bytes: a regular file
 * or a pipe (`<(…)`); a directory, a device (/dev/zero never ends) or a
 * socket is refused before a byte is read, and a pipe that goes on past
 * `max` is refused once it has. Throws FileRefused, or the errno error of
 * the open (ENOENT: the caller words "not found").
 */
export function readBoundedFileSync(file: string, max: number): string {
  const st = statSync(file);
  if (st.isDirectory()) throw new FileRefused('it is a directory');
  if (!st.isFile() && !st.isFIFO()) throw new FileRefused('not a regular file or a pipe');
  if (st.isFile() && st.size > max) throw new FileRefused(`larger than ${max} bytes`);
  const fd = openSync(file, 'r');
  try {
    // the type again on what was opened (the path may have been swapped in between)
    const opened = fstatSync(fd);
    if (!opened.isFile() && !opened.isFIFO()) throw new FileRefused('not a regular file or a pipe');
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(64 * 1024);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > max) throw new FileRefused(`larger than ${max} bytes`);
      chunks.push(buf.subarray(0, n));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
