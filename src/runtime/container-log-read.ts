import { open, stat, type FileHandle } from 'node:fs/promises';
import type { LogLine } from './container-log.js';

/** bytes read at a time, forwards and backwards */
const BLOCK = 64 * 1024;
/**
 * The writer's records are at most 16 KiB of output (under 100 KiB as JSON);
 * a longer one (only a log from before lines were split has them) is skipped
 * rather than held whole in memory.
 */
export const MAX_RECORD = 8 * 1024 * 1024;

function parse(line: Buffer): LogLine | undefined {
  try {
    const r = JSON.parse(line.toString('utf8')) as LogLine;
    return typeof r === 'object' && r && typeof r.l === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a container's log forwards from `offset`, one block at a time, up to
 * its last complete line; `offset` then says where to go on (with --follow).
 */
export class LogCursor {
  constructor(readonly file: string, public offset = 0) {}

  async *lines(): AsyncGenerator<LogLine> {
    const fh = await open(this.file, 'r').catch(() => undefined);
    if (!fh) return;
    try {
      const block = Buffer.alloc(BLOCK);
      let parts: Buffer[] = [];
      let held = 0;
      let skipping = false;
      let pos = this.offset;
      for (;;) {
        const { bytesRead } = await fh.read(block, 0, BLOCK, pos);
        if (bytesRead === 0) return;
        let at = 0;
        for (;;) {
          const nl = block.indexOf(0x0a, at);
          if (nl < 0 || nl >= bytesRead) break;
          const piece = block.subarray(at, nl);
          const rec = skipping ? undefined : parse(parts.length ? Buffer.concat([...parts, piece]) : piece);
          parts = []; held = 0; skipping = false;
          at = nl + 1;
          this.offset = pos + at;
          if (rec) yield rec;
        }
        if (!skipping && at < bytesRead) {
          held += bytesRead - at;
          if (held > MAX_RECORD) { skipping = true; parts = []; } else parts.push(Buffer.from(block.subarray(at, bytesRead)));
        }
        pos += bytesRead;
      }
    } finally {
      await fh.close();
    }
  }
}

/**
 * The last `n` records (at or after `since`) of a log, read backwards from
 * its end, so the cost is the tail's, not the file's; `next` is where the
 * records end (to follow from).
 */
export async function readLogTail(file: string, n: number, since?: Date): Promise<{ lines: LogLine[]; next: number }> {
  const size = await stat(file).then(s => s.size, () => 0);
  if (size === 0) return { lines: [], next: 0 };
  const fh = await open(file, 'r');
  try {
    return await tailOf(fh, size, n, since);
  } finally {
    await fh.close();
  }
}

async function tailOf(fh: FileHandle, size: number, n: number, since?: Date): Promise<{ lines: LogLine[]; next: number }> {
  const out: LogLine[] = [];
  // bytes after the last newline: a line still being written
  let next = -1;
  // the start of a line whose end is already read (a later block), in order
  let carry: Buffer[] = [];
  let held = 0;
  let skipping = false;
  let pos = size;
  while (pos > 0 && out.length < n) {
    const len = Math.min(BLOCK, pos);
    pos -= len;
    const block = Buffer.alloc(len);
    await fh.read(block, 0, len, pos);
    let end = len;
    while (end > 0) {
      const nl = block.lastIndexOf(0x0a, end - 1);
      if (nl < 0) break;
      if (next < 0) next = pos + nl + 1;
      else {
        const rec = skipping ? undefined : parse(Buffer.concat([block.subarray(nl + 1, end), ...carry]));
        if (rec && since && new Date(rec.t) < since) return { lines: out.reverse(), next };
        if (rec) out.push(rec);
        if (out.length >= n) return { lines: out.reverse(), next };
      }
      carry = []; held = 0; skipping = false;
      end = nl;
    }
    if (next >= 0 && !skipping && end > 0) {
      held += end;
      if (held > MAX_RECORD) { skipping = true; carry = []; } else carry.unshift(Buffer.from(block.subarray(0, end)));
    }
  }
  // the first line of the file has no newline before it
  if (pos === 0 && next >= 0 && !skipping && held > 0 && out.length < n) {
    const rec = parse(Buffer.concat(carry));
    if (rec && !(since && new Date(rec.t) < since)) out.push(rec);
  }
  return { lines: out.reverse(), next: Math.max(next, 0) };
}
