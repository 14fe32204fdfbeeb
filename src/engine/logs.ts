import { createInterface } from 'node:readline';
import path from 'node:path';
import { RackerError } from '../errors.js';
import { spawnAttached } from '../process.js';
import { LOG_FILE, type LogLine } from '../runtime/container-log.js';
import { LogCursor, readLogTail } from '../runtime/container-log-read.js';
import type { ContainerRecord } from '../model/container.js';
import { parseGoDuration } from '../units.js';

export interface LogOptions {
  follow?: boolean;
  tail?: number;
  since?: Date;
  timestamps?: boolean;
  /** booted containers: only this systemd unit's journal */
  unit?: string;
}

/** One line of a container's output: for app containers as it was logged, for booted ones a journal line. */
export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** RFC 3339; absent for journal lines (journalctl prints its own with `timestamps`) */
  time?: string;
  text: string;
  /** a piece of a line longer than 16 KiB: the next entry goes on with it (print no newline) */
  partial?: boolean;
}

function entry(l: LogLine): LogEntry {
  return l.p ? { stream: l.s, time: l.t, text: l.l, partial: true } : { stream: l.s, time: l.t, text: l.l };
}

/** docker's --since: an RFC 3339 time, a unix time, or a duration like 10m, 1h30m, 45s. */
export function parseSince(value: string, now = Date.now()): Date {
  if (/^\d+(\.\d+)?$/.test(value)) return new Date(Number(value) * 1000);
  // Go's durations (src/units.ts), as --health-interval takes them: 1.5h, 1h30m, 500ms
  const ns = parseGoDuration(value);
  if (ns !== undefined && ns >= 0) return new Date(now - ns / 1e6);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new RackerError(`invalid --since '${value}'`, { hint: 'use a time like 2026-01-02T15:04:05Z or a duration like 10m' });
  return new Date(t);
}

/**
 * An app container's log file, from the start or the tail; with `follow`, until it stops.
 * Never held whole: --tail reads backwards from the end, the rest is streamed.
 */
async function* appLog(dir: string, opts: LogOptions, running: () => Promise<boolean>): AsyncGenerator<LogEntry> {
  const file = path.join(dir, LOG_FILE);
  const cursor = new LogCursor(file);
  if (opts.tail !== undefined && opts.tail >= 0) {
    const { lines, next } = await readLogTail(file, opts.tail, opts.since);
    for (const l of lines) yield entry(l);
    cursor.offset = next;
  } else {
    for await (const l of cursor.lines()) if (!opts.since || new Date(l.t) >= opts.since) yield entry(l);
  }
  if (!opts.follow) return;
  for (;;) {
    const up = await running();
    for await (const l of cursor.lines()) yield entry(l);
    if (!up) return;
    await new Promise(r => setTimeout(r, 100));
  }
}

/** A booted container's journal, read from its writable layer by the host's journalctl. */
async function* journalLog(dir: string, opts: LogOptions, running: () => Promise<boolean>): AsyncGenerator<LogEntry> {
  const args = ['-D', path.join(dir, 'upper/var/log/journal'), '--no-pager', '--quiet'];
  if (opts.unit) args.push('--unit', opts.unit);
  if (opts.tail !== undefined) args.push('--lines', String(opts.tail));
  if (opts.since) args.push('--since', `@${Math.floor(opts.since.getTime() / 1000)}`);
  if (opts.timestamps) args.push('--output', 'short-iso');
  if (opts.follow) args.push('--follow');
  const child = spawnAttached('journalctl', args, 'ignore', 'pipe');
  const timer = opts.follow ? setInterval(() => {
    void running().then(up => { if (!up) { clearInterval(timer); setTimeout(() => child.kill('SIGTERM'), 300); } });
  }, 200) : undefined;
  try {
    for await (const line of createInterface({ input: child.stdout! })) yield { stream: 'stdout', text: line };
    const code = await child.exit;
    if (code !== 0 && !opts.follow) throw new RackerError(`journalctl exited with ${code} reading the journal of this container`);
  } finally {
    if (timer) clearInterval(timer);
    child.kill('SIGTERM');
  }
}

/** The lines of `rec`'s output as a stream: its log (app) or its journal (booted). */
export function containerLogs(rec: ContainerRecord, dir: string, opts: LogOptions, running: () => Promise<boolean>): AsyncGenerator<LogEntry> {
  return rec.spec.mode === 'boot' ? journalLog(dir, opts, running) : appLog(dir, opts, running);
}
