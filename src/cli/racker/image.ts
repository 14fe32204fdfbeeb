import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import { shortId } from '../../model/image.js';
import { imageHistory } from '../../engine/image-history.js';
import { pruneImages } from '../../engine/housekeeping.js';
import { parsePruneFilters } from '../../engine/prune-filter.js';
import { printableJson } from '../../untrusted.js';
import { confirmPrune } from '../confirm.js';
import { collect, engineFrom } from '../context.js';
import { renderTemplate } from '../go-template.js';
import { humanSize } from '../progress.js';
import { formatTable, timeAgo } from '../table.js';

/** docker's CREATED BY column: at most 45 characters, the rest cut with an ellipsis. */
function ellipsis(text: string, max = 45): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** `racker image history|prune`: the image subcommands beside the top-level images, rmi, save and load. */
export function register(program: Command): void {
  const image = program.command('image').description('image history and pruning (images, rmi, save, load are top-level verbs)');

  image.command('history')
    .description('show the steps an image was built from, newest first')
    .argument('<image>')
    .option('--no-trunc', 'do not shorten ids and CREATED BY')
    .option('-q, --quiet', 'only image ids')
    .option('--format <format>', 'table, json (one object per line) or a Go template such as {{.CreatedBy}}', 'table')
    .option('-H, --human', 'sizes and dates in human form (the default)', true)
    .action(async (input: string, flags: { trunc: boolean; quiet?: boolean; format: string }) => {
      if (!['table', 'json'].includes(flags.format) && !flags.format.includes('{{')) {
        throw new RackerError(`unknown --format '${flags.format.slice(0, 40)}'`, { hint: 'use table, json or a template such as {{.CreatedBy}}' });
      }
      const engine = engineFrom(program);
      const rec = await engine.images.find(input, { check: false });
      if (!rec) throw new RackerError(`No such image: ${input}`, { hint: 'racker images lists what is in the store' });
      const sizes = await engine.images.layerSizes(rec);
      const rows = imageHistory(rec, sizes);
      const id = (i: string) => (i === '<missing>' || !flags.trunc ? i : shortId(i));
      if (flags.quiet) {
        process.stdout.write(rows.map(r => `${id(r.id)}\n`).join(''));
      } else if (flags.format === 'table') {
        process.stdout.write(formatTable(['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'],
          rows.map(r => [id(r.id), r.created ? timeAgo(r.created) : '', flags.trunc ? ellipsis(r.createdBy) : r.createdBy, humanSize(r.size), r.comment])));
      } else {
        for (const r of rows) {
          const row = { ID: id(r.id), CreatedAt: r.created, CreatedSince: r.created ? timeAgo(r.created) : '', CreatedBy: r.createdBy, Size: humanSize(r.size), Comment: r.comment };
          process.stdout.write((flags.format === 'json' ? printableJson(row) : renderTemplate(flags.format, row)) + '\n');
        }
      }
    });

  image.command('prune')
    .description('remove dangling images (with -a: every image no container uses)')
    .option('-a, --all', 'every image no container uses, not only those without a name')
    .option('-f, --force', 'do not ask for confirmation')
    .option('--filter <filter>', 'until=DURATION|TIME, label=KEY[=VALUE], label!=KEY[=VALUE] (repeatable)', collect, [])
    .action(async (flags: { all?: boolean; force?: boolean; filter: string[] }) => {
      const filter = parsePruneFilters(flags.filter);
      const warning = flags.all ? 'WARNING! This will remove all images without at least one container associated to them.' : 'WARNING! This will remove all dangling images.';
      if (!flags.force && !await confirmPrune(warning)) return;
      const { lines, bytes } = await pruneImages(engineFrom(program), { all: flags.all, filter });
      if (lines.length) process.stdout.write(`Deleted Images:\n${lines.map(l => `${l}\n`).join('')}\n`);
      process.stdout.write(`Total reclaimed space: ${humanSize(bytes)}\n`);
    });
}
