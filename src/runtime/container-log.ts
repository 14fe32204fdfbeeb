import { createWriteStream, type WriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pollUntil } from '../poll.js';

/**
 * One line an app container wrote: when, on which stream, and what. `p` marks
 * a piece of a longer line (docker's partial message): it is printed without
 * a newline, so the pieces join up again.
 */
export interface LogLine { t: string; s: 'stdout' | 'stderr'; l: string; p?: true }

export const LOG_FILE = 'container.log';

/** docker's json-file rule: a line longer than this is logged in pieces of at most this many bytes */
export const MAX_LOG_LINE = 16 * 1024;

/** Where to cut a full buffer so that no UTF-8 character is split (a character is at most 4 bytes). */
function utf8Cut(buf: Buffer, len: number): number {
  let k = len - 1;
  while (k > len - 4 && k > 0 && (buf[k] & 0xc0) === 0x80) k--;
  const lead = buf[k];
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return k + need > len && k > 0 ? k : len;
}

/**
 * Cuts a byte stream into lines of at most MAX_LOG_LINE bytes in one fixed
 * buffer: linear in the output, whatever the container writes (no newline
 * for gigabytes costs no more memory than a short line).
 */
export class LineSplitter {
  private readonly buf = Buffer.alloc(MAX_LOG_LINE);
  private len = 0;

  constructor(private readonly emit: (line: string, partial: boolean) => void) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const nl = chunk.indexOf(0x0a, at);
      const end = nl < 0 ? chunk.length : nl;
      const n = Math.min(end - at, MAX_LOG_LINE - this.len);
      chunk.copy(this.buf, this.len, at, at + n);
      this.len += n;
      at += n;
      if (this.len === MAX_LOG_LINE) this.flushPiece();
      else if (at === nl) {
        this.emit(this.buf.toString('utf8', 0, this.len), false);
        this.len = 0;
        at++;
      }
    }
  }

  /** the stream ended: an unfinished last line is logged as a line */
  end(): void {
    if (this.len > 0) this.emit(this.buf.toString('utf8', 0, this.len), false);
    this.len = 0;
  }

  private flushPiece(): void {
    const cut = utf8Cut(this.buf, this.len);
    this.emit(this.buf.toString('utf8', 0, cut), true);
    this.buf.copy(this.buf, 0, cut, this.len);
    this.len -= cut;
  }
}

function record(t: string, s: LogLine['s'], l: string, partial: boolean): string {
  const line: LogLine = { t, s, l };
  if (partial) line.p = true;
  return JSON.stringify(line) + '\n';
}

/**
 * Captures a container's stdout and stderr as JSON lines with a timestamp and
 * the stream, from its first byte; a partial last line is kept when it ends.
 * When the file cannot keep up, the container's pipes are paused (it blocks
 * on its writes) instead of its output piling up in the supervisor, which
 * serves every detached container of the store.
 */
export class LogWriter {
  private readonly out: WriteStream;
  private readonly inputs: Readable[] = [];
  private pending = 0;

  constructor(file: string) {
    this.out = createWriteStream(file, { flags: 'a', mode: 0o600 });
    this.out.on('drain', () => { for (const s of this.inputs) s.resume(); });
  }

  capture(stream: Readable, name: LogLine['s']): void {
    this.pending++;
    this.inputs.push(stream);
    // the records of one chunk go to the file in one write (a chunk of "y\n" is 32768 lines)
    let batch: string[] = [];
    // one time for the lines of one chunk: they arrived together
    let now = '';
    const lines = new LineSplitter((l, partial) => batch.push(record(now, name, l, partial)));
    const flush = () => {
      if (batch.length) this.out.write(batch.join(''));
      batch = [];
    };
    stream.on('data', (chunk: Buffer) => {
      now = new Date().toISOString();
      lines.push(chunk);
      flush();
      if (this.out.writableNeedDrain) stream.pause();
    });
    stream.on('end', () => {
      now = new Date().toISOString();
      lines.end();
      flush();
      this.pending--;
    });
  }

  async close(): Promise<void> {
    await pollUntil(async () => (this.pending > 0 ? undefined : true), { timeoutMs: 1000 });
    await new Promise<void>(resolve => this.out.end(() => resolve()));
  }
}
