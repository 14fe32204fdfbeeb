import { type PullProgress, shortId } from '../model/image.js';
import type { PullProgressEvent } from '../engine/events.js';

/** Pull progress on the terminal: a redrawn table on a TTY, one quiet line per layer otherwise. */

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

export function progressFor(stream: NodeJS.WriteStream = process.stderr): PullProgress {
  return stream.isTTY ? new TtyProgress(stream) : new LineProgress(stream);
}

/** Draws the engine's pull progress events: one display per image being pulled. */
export function progressListener(stream: NodeJS.WriteStream = process.stderr): (e: PullProgressEvent) => void {
  const shown = new Map<string, PullProgress>();
  return (e) => {
    let p = shown.get(e.image);
    if (!p) { p = progressFor(stream); shown.set(e.image, p); }
    if (e.kind === 'layer-start') p.layerStart(e.digest, e.size);
    else if (e.kind === 'layer-bytes') p.layerBytes(e.digest, e.bytes);
    else if (e.kind === 'layer-done') p.layerDone(e.digest, e.state);
    else { p.finish(); shown.delete(e.image); }
  };
}
