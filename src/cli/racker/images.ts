import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import { engineFrom } from '../context.js';
import { shortId } from '../../model/image.js';
import type { ImageSummary } from '../../engine/images.js';
import { humanSize } from '../progress.js';
import { formatTable, timeAgo } from '../table.js';
import { renderTemplate } from '../go-template.js';
import { printableJson } from '../../untrusted.js';

export function register(program: Command): void {
  program.command('images')
    .description('list images in the local store')
    .argument('[reference]', 'only this repository (all its tags) or repository:tag')
    .option('--format <format>', 'table, json (one JSON object per line, as docker) or a Go template such as {{.Repository}}:{{.Tag}}', 'table')
    .option('-q, --quiet', 'only image ids')
    .option('--no-trunc', 'do not shorten image ids')
    .action(async (reference: string | undefined, flags: { format: string; quiet?: boolean; trunc: boolean }) => {
      if (!['table', 'json'].includes(flags.format) && !flags.format.includes('{{')) {
        throw new RackerError(`unknown --format '${flags.format}'`, { hint: 'use table, json or a template such as {{.Repository}}:{{.Tag}}' });
      }
      const rows = await engineFrom(program).images.list(reference);
      const id = (r: ImageSummary) => (flags.trunc ? shortId(r.id) : r.id);
      if (flags.quiet) {
        process.stdout.write([...new Set(rows.map(id))].map(i => `${i}\n`).join(''));
      } else if (flags.format === 'table') {
        process.stdout.write(formatTable(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'],
          rows.map(r => [r.repository, r.tag, id(r), timeAgo(r.created), humanSize(r.size)])));
      } else {
        for (const r of rows) {
          const row = { Id: r.id, Repository: r.repository, Tag: r.tag, Digest: r.digest, CreatedAt: r.created, Size: r.size, Names: r.names };
          // docker's Go templates, e.g. --format '{{.Repository}}:{{.Tag}}'
          process.stdout.write((flags.format === 'json' ? printableJson(row) : renderTemplate(flags.format, { ...row, ID: id(r), Size: humanSize(r.size) })) + '\n');
        }
      }
    });
}
