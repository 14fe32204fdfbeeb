import { shortId } from '../image/digest.js';

/** Reports pull progress: a redrawn table on a TTY, one quiet line per layer otherwise. */
export interface PullProgress {
  layerStart(digest: string, size: number): void;
  layerBytes(digest: string, bytes: number): void;
  layerDone(digest: string, state: 'pulled' | 'exists'): void;
  finish(): void;
}

function human(n: number): string {
  if (n < 1024) return `${n}B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return `${v.toFixed(v < 10 ? 2 : 1)}${units[i]}`;
}
export { human as humanSize };

export class LineProgress implements PullProgress {
  constructor(private readonly out: NodeJS.WritableStream = process.stderr) {}
  layerStart(): void {}
  layerBytes(): void {}
  layerDone(digest: string, state: 'pulled' | 'exists'): void {
    this.out.write(`${shortId(digest)}: ${state === 'pulled' ? 'Pull complete' : 'Already exists'}\n`);
  }
  finish(): void {}
}

interface Row { id: string; size: number; done: number; state: string }

export class TtyProgress implements PullProgress {
  private rows: Row[] = [];
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  private row(digest: string): Row {
    const id = shortId(digest);
    let r = this.rows.find(x => x.id === id);
    if (!r) { r = { id, size: 0, done: 0, state: 'Waiting' }; this.rows.push(r); }
    return r;
  }

  layerStart(digest: string, size: number): void {
    const r = this.row(digest);
    r.size = size;
    r.state = 'Downloading';
    this.schedule();
  }

  layerBytes(digest: string, bytes: number): void {
    this.row(digest).done += bytes;
    this.schedule();
  }

  layerDone(digest: string, state: 'pulled' | 'exists'): void {
    this.row(digest).state = state === 'pulled' ? 'Pull complete' : 'Already exists';
    this.draw();
  }

  finish(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.draw();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => { this.timer = undefined; this.draw(); }, 100);
  }

  private draw(): void {
    if (this.drawn) this.out.write(`\x1b[${this.drawn}A`);
    for (const r of this.rows) {
      const bar = r.state === 'Downloading' && r.size
        ? ` ${human(r.done)}/${human(r.size)} (${Math.floor((100 * r.done) / r.size)}%)`
        : '';
      this.out.write(`\x1b[2K${r.id}: ${r.state}${bar}\n`);
    }
    this.drawn = this.rows.length;
  }
}

export function progressFor(stream: NodeJS.WriteStream = process.stderr, quiet = false): PullProgress {
  if (quiet) return { layerStart() {}, layerBytes() {}, layerDone() {}, finish() {} };
  return stream.isTTY ? new TtyProgress(stream) : new LineProgress(stream);
}
