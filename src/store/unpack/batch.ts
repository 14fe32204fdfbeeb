/**
 * Node cannot mknod, mkfifo or set xattrs: those are left to helper commands,
 * run once per batch of paths rather than once per entry.
 */

/** batch commands get at most this many bytes of paths each */
const MAX_ARG_BYTES = 64 * 1024;

/** Splits paths into groups whose total length suits one command line. */
export function argChunks(items: readonly string[]): string[][] {
  const chunks: string[][] = [];
  let cur: string[] = [];
  let size = 0;
  for (const it of items) {
    const n = Buffer.byteLength(it) + 1;
    if (cur.length && size + n > MAX_ARG_BYTES) { chunks.push(cur); cur = []; size = 0; }
    cur.push(it);
    size += n;
  }
  if (cur.length) chunks.push(cur);
  return chunks;
}
