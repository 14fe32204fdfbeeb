import type { Command } from 'commander';
import path from 'node:path';
import { RackerError } from '../../errors.js';
import { contextFrom, type Context } from '../context.js';
import { reconcile } from '../../store/container-state.js';
import { filterLog, readLog, LOG_FILE, type LogLine } from '../../runtime/container-log.js';
import { spawnAttached } from '../../process.js';
import type { ContainerRecord } from '../../store/container-store.js';

/** docker's --since: an RFC 3339 time, a unix time, or a duration like 10m, 1h30m, 45s. */
export function parseSince(value: string, now = Date.now()): Date {
  if (/^\d+(\.\d+)?$/.test(value)) return new Date(Number(value) * 1000);
  const dur = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (dur && value) return new Date(now - ((Number(dur[1] ?? 0) * 60 + Number(dur[2] ?? 0)) * 60 + Number(dur[3] ?? 0)) * 1000);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new RackerError(`invalid --since '${value}'`, { hint: 'use a time like 2026-01-02T15:04:05Z or a duration like 10m' });
  return new Date(t);
}

function print(lines: LogLine[], timestamps: boolean): void {
  for (const l of lines) {
    const text = `${timestamps ? `${l.t} ` : ''}${l.l}\n`;
    (l.s === 'stderr' ? process.stderr : process.stdout).write(text);
  }
}

async function stillRunning(ctx: Context, rec: ContainerRecord): Promise<boolean> {
  const now = await ctx.containers.read(rec.id);
  return !!now && (await reconcile(ctx.containers, now)).state.status === 'running';
}

async function appLogs(ctx: Context, rec: ContainerRecord, flags: LogFlags): Promise<void> {
  const file = path.join(ctx.containers.dir(rec.id), LOG_FILE);
  let { lines, next } = await readLog(file);
  print(filterLog(lines, { tail: flags.tail === undefined ? undefined : Number(flags.tail), since: flags.since ? parseSince(flags.since) : undefined }), !!flags.timestamps);
  if (!flags.follow) return;
  for (;;) {
    const running = await stillRunning(ctx, rec);
    ({ lines, next } = await readLog(file, next));
    print(lines, !!flags.timestamps);
    if (!running) return;
    await new Promise(r => setTimeout(r, 100));
  }
}

/** A booted container's journal, read from its writable layer by the host's journalctl. */
async function journalLogs(ctx: Context, rec: ContainerRecord, flags: LogFlags): Promise<void> {
  const args = ['-D', path.join(ctx.containers.dir(rec.id), 'upper/var/log/journal'), '--no-pager', '--quiet'];
  if (flags.unit) args.push('--unit', flags.unit);
  if (flags.tail !== undefined) args.push('--lines', String(Number(flags.tail)));
  if (flags.since) args.push('--since', `@${Math.floor(parseSince(flags.since).getTime() / 1000)}`);
  if (flags.timestamps) args.push('--output', 'short-iso');
  if (flags.follow) args.push('--follow');
  const child = spawnAttached('journalctl', args, 'ignore');
  if (flags.follow) {
    const timer = setInterval(() => {
      void stillRunning(ctx, rec).then(up => { if (!up) { clearInterval(timer); setTimeout(() => child.kill('SIGTERM'), 300); } });
    }, 200);
    await child.exit;
    clearInterval(timer);
  } else {
    const code = await child.exit;
    if (code !== 0) process.exitCode = code;
  }
}

interface LogFlags { follow?: boolean; tail?: string; timestamps?: boolean; since?: string; unit?: string }

export function register(program: Command): void {
  program.command('logs')
    .description('show a container\'s output (app) or journal (booted)')
    .argument('<container>')
    .option('-f, --follow', 'keep printing until the container stops')
    .option('-n, --tail <n>', 'only the last N lines')
    .option('-t, --timestamps', 'show timestamps')
    .option('--since <time>', 'only lines since a time (2026-01-02T15:04:05Z) or a duration ago (10m)')
    .option('--unit <unit>', 'booted containers: only this systemd unit')
    .action(async (name: string, flags: LogFlags) => {
      const ctx = contextFrom(program);
      if (flags.tail !== undefined && !/^\d+$/.test(flags.tail)) throw new RackerError(`invalid --tail '${flags.tail}'`, { hint: 'a number of lines' });
      const rec = await reconcile(ctx.containers, await ctx.containers.get(name));
      if (rec.spec?.mode === 'boot') await journalLogs(ctx, rec, flags);
      else await appLogs(ctx, rec, flags);
    });
}
