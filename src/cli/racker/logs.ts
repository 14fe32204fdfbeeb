import type { Command } from 'commander';
import { engineFrom } from '../context.js';
import { parseSince } from '../../engine/logs.js';
import { integer } from '../options.js';

interface LogFlags { follow?: boolean; tail?: number; timestamps?: boolean; since?: string; unit?: string }

export function register(program: Command): void {
  program.command('logs')
    .description('show a container\'s output (app) or journal (booted)')
    .argument('<container>')
    .option('-f, --follow', 'keep printing until the container stops')
    .option('-n, --tail <n>', 'only the last N lines', integer(0))
    .option('-t, --timestamps', 'show timestamps')
    .option('--since <time>', 'only lines since a time (2026-01-02T15:04:05Z) or a duration ago (10m)')
    .option('--unit <unit>', 'booted containers: only this systemd unit')
    .action(async (name: string, flags: LogFlags) => {
      const lines = await engineFrom(program).containers.logs(name, {
        follow: flags.follow, tail: flags.tail, timestamps: flags.timestamps, unit: flags.unit,
        since: flags.since === undefined ? undefined : parseSince(flags.since),
      });
      for await (const l of lines) {
        // a piece of a long line goes on in the next entry, as with docker's json-file log
        const text = `${flags.timestamps && l.time ? `${l.time} ` : ''}${l.text}${l.partial ? '' : '\n'}`;
        const out = l.stream === 'stderr' ? process.stderr : process.stdout;
        // a reader slower than the log: wait for it rather than hold the log in memory
        if (!out.write(text)) await new Promise(r => out.once('drain', r));
      }
    });
}
