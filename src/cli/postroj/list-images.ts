import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import { engineFrom } from '../context.js';
import { CATALOGUE } from '../../postroj/catalogue.js';
import { humanSize } from '../progress.js';
import { formatTable } from '../table.js';
import { printableJson } from '../../untrusted.js';

export function register(program: Command): void {
  program.command('list-images')
    .description('list the curated OS images and whether they are in the store')
    .option('--format <format>', 'table or json', 'table')
    .action(async (flags: { format: string }) => {
      const images = engineFrom(program).images;
      const tags = await images.tags();
      const rows = await Promise.all(CATALOGUE.map(async c => {
        const id = tags[c.storeName];
        const rec = id ? await images.byId(id, { check: false }) : undefined;
        const source = rec ? (rec.config.config?.Labels?.['org.racker.source'] === 'mirror' ? 'mirror' : 'registry') : (c.mirror ? 'registry|mirror' : 'registry');
        return { label: c.label, distribution: c.distribution, version: c.version, source, cached: !!rec, size: rec?.size ?? null, image: rec?.id ?? null, registry: c.registry, mirror: c.mirror?.url ?? null };
      }));
      if (flags.format === 'json') {
        process.stdout.write(printableJson(rows, 2) + '\n');
      } else if (flags.format === 'table') {
        process.stdout.write(formatTable(['LABEL', 'DISTRIBUTION', 'VERSION', 'SOURCE', 'CACHED', 'SIZE'],
          rows.map(r => [r.label, r.distribution, r.version, r.source, r.cached ? 'yes' : 'no', r.size === null ? '-' : humanSize(r.size)])));
      } else {
        throw new RackerError(`unknown --format '${flags.format}'`, { hint: 'use table or json' });
      }
    });
}
