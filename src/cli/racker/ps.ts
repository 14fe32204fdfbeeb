import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import { collect, engineFrom } from '../context.js';
import { shortId } from '../../model/image.js';
import type { ContainerRecord } from '../../model/container.js';
import { formatTable, timeAgo } from '../table.js';
import { renderTemplate } from '../go-template.js';
import { printableJson } from '../../untrusted.js';
import { matchesFilters, parsePsFilters } from '../ps-filter.js';

/** docker's health suffix of a running container's STATUS */
function healthText(rec: ContainerRecord): string {
  const h = rec.state.health?.status;
  return h === 'starting' ? ' (health: starting)' : h ? ` (${h})` : '';
}

/** docker's STATUS column: "Up 3 minutes", "Exited (0) 2 seconds ago", "Created". */
export function statusText(rec: ContainerRecord, now = Date.now()): string {
  const s = rec.state;
  if (s.status === 'running') return `Up ${timeAgo(s.startedAt ?? rec.created, now).replace(/ ago$/, '')}${healthText(rec)}`;
  if (s.status === 'exited') return `Exited (${s.exitCode ?? -1}) ${timeAgo(s.finishedAt ?? rec.created, now)}`;
  return 'Created';
}

function commandText(argv: string[]): string {
  const text = argv.join(' ');
  return `"${text.length > 20 ? `${text.slice(0, 19)}…` : text}"`;
}

export function register(program: Command): void {
  program.command('ps')
    .description('list containers')
    .option('-a, --all', 'also stopped containers')
    .option('-q, --quiet', 'only ids')
    .option('--no-trunc', 'do not shorten ids and commands')
    .option('-f, --filter <KEY=VALUE>', 'label=KEY[=VALUE], name=, status=, id=, health= (repeatable)', collect, [])
    .option('--format <format>', 'table, json (one object per line) or a Go template such as {{.Names}}', 'table')
    .action(async (flags: { all?: boolean; quiet?: boolean; trunc: boolean; format: string; filter: string[] }) => {
      const filters = parsePsFilters(flags.filter);
      if (!['table', 'json'].includes(flags.format) && !flags.format.includes('{{')) {
        throw new RackerError(`unknown --format '${flags.format}'`, { hint: 'use table, json or a template such as {{.Names}}' });
      }
      // a status filter looks at stopped containers too, as docker's
      const list = (await engineFrom(program).containers.list({ all: flags.all || filters.has('status') })).filter(c => matchesFilters(c, filters));
      const id = (c: ContainerRecord) => (flags.trunc ? shortId(c.id) : c.id);
      if (flags.quiet) {
        process.stdout.write(list.map(c => `${id(c)}\n`).join(''));
      } else if (flags.format === 'json' || flags.format.includes('{{')) {
        for (const c of list) {
          const row = {
            ID: c.id, Names: c.name, Image: c.imageName, ImageID: c.image, Command: c.argv.join(' '), CreatedAt: c.created,
            State: c.state.status, Status: statusText(c), ExitCode: c.state.exitCode ?? null, Mode: c.spec.mode,
          };
          // docker's Go templates, e.g. --format '{{.Names}}'
          process.stdout.write((flags.format === 'json' ? printableJson(row) : renderTemplate(flags.format, { ...row, ID: id(c) })) + '\n');
        }
      } else if (flags.format === 'table') {
        process.stdout.write(formatTable(['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'NAMES'],
          list.map(c => [id(c), c.imageName, flags.trunc ? commandText(c.argv) : `"${c.argv.join(' ')}"`, timeAgo(c.created), statusText(c), c.name])));
      } else {
        throw new RackerError(`unknown --format '${flags.format}'`, { hint: 'use table, json or a template such as {{.Names}}' });
      }
    });
}
