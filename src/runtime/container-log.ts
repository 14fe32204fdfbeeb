import { createWriteStream, type WriteStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/** One line an app container wrote: when, on which stream, and what. */
export interface LogLine { t: string; s: 'stdout' | 'stderr'; l: string }

export const LOG_FILE = 'container.log';

/**
 * Captures a container's stdout and stderr as JSON lines with a timestamp and
 * the stream, from its first byte; a partial last line is kept when it ends.
 */
export class LogWriter {
  private readonly out: WriteStream;
  private pending = 0;

  constructor(file: string) {
    this.out = createWriteStream(file, { flags: 'a', mode: 0o600 });
  }

  capture(stream: Readable, name: LogLine['s']): void {
    this.pending++;
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        this.write(name, buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    stream.on('end', () => {
      if (buf) this.write(name, buf);
      this.pending--;
    });
  }

  private write(s: LogLine['s'], l: string): void {
    this.out.write(JSON.stringify({ t: new Date().toISOString(), s, l } satisfies LogLine) + '\n');
  }

  async close(): Promise<void> {
    for (let i = 0; i < 100 && this.pending > 0; i++) await new Promise(r => setTimeout(r, 10));
    await new Promise<void>(resolve => this.out.end(() => resolve()));
  }
}

export interface LogQuery { tail?: number; since?: Date }

/** Read log lines from byte `offset`; returns the lines and the offset to continue from. */
export async function readLog(file: string, offset = 0): Promise<{ lines: LogLine[]; next: number }> {
  const size = await stat(file).then(s => s.size, () => 0);
  if (size <= offset) return { lines: [], next: offset };
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    await fh.read(buf, 0, buf.length, offset);
    const text = buf.toString('utf8');
    const end = text.lastIndexOf('\n') + 1;
    const lines = text.slice(0, end).split('\n').filter(Boolean).flatMap(l => {
      try { return [JSON.parse(l) as LogLine]; } catch { return []; }
    });
    return { lines, next: offset + Buffer.byteLength(text.slice(0, end)) };
  } finally {
    await fh.close();
  }
}

export function filterLog(lines: LogLine[], q: LogQuery): LogLine[] {
  let out = q.since ? lines.filter(l => new Date(l.t) >= q.since!) : lines;
  if (q.tail !== undefined && q.tail >= 0) out = out.slice(Math.max(0, out.length - q.tail));
  return out;
}

export async function readWholeLog(file: string): Promise<LogLine[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).flatMap(l => { try { return [JSON.parse(l) as LogLine]; } catch { return []; } });
}
