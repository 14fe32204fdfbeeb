import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import { shortId } from '../../model/image.js';
import { diskUsage, pruneContainers, pruneImages, pruneNetworks, pruneVolumes, type UsageRow } from '../../engine/housekeeping.js';
import { splitName } from '../../engine/images.js';
import { parsePruneFilters } from '../../engine/prune-filter.js';
import { confirmPrune } from '../confirm.js';
import { collect, engineFrom } from '../context.js';
import { humanSize } from '../progress.js';
import { formatTable, timeAgo } from '../table.js';

/** docker's RECLAIMABLE cell: the size, and its share of the total when there is one. */
export function reclaimableText(row: Pick<UsageRow, 'size' | 'reclaimable'>): string {
  return row.size > 0 ? `${humanSize(row.reclaimable)} (${Math.floor((row.reclaimable * 100) / row.size)}%)` : humanSize(row.reclaimable);
}

/** The bullet list of docker's `system prune` warning. */
export function systemPruneWarning(opts: { all?: boolean; volumes?: boolean }): string {
  const items = ['all stopped containers', 'all networks not used by at least one container'];
  if (opts.volumes) items.push('all anonymous volumes not used by at least one container');
  items.push(opts.all ? 'all images without at least one container associated to them' : 'all dangling images');
  return `WARNING! This will remove:\n${items.map(i => `  - ${i}\n`).join('')}`;
}

export function register(program: Command): void {
  const system = program.command('system').description('disk usage and pruning across images, containers, networks and volumes');

  system.command('df')
    .description('show the space images, containers and volumes take')
    .option('-v, --verbose', 'one table per kind, one row per image, container and volume')
    .option('--format <format>', 'table or json (one object per line)', 'table')
    .action(async (flags: { verbose?: boolean; format: string }) => {
      if (!['table', 'json'].includes(flags.format)) throw new RackerError(`unknown --format '${flags.format.slice(0, 40)}'`, { hint: 'use table or json' });
      const u = await diskUsage(engineFrom(program));
      const kinds: [string, UsageRow][] = [['Images', u.images], ['Containers', u.containers], ['Local Volumes', u.volumes], ['Build Cache', { total: 0, active: 0, size: 0, reclaimable: 0 }]];
      if (flags.format === 'json') {
        for (const [type, r] of kinds) process.stdout.write(JSON.stringify({ Type: type, TotalCount: String(r.total), Active: String(r.active), Size: humanSize(r.size), Reclaimable: reclaimableText(r) }) + '\n');
        return;
      }
      if (!flags.verbose) {
        process.stdout.write(formatTable(['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'], kinds.map(([type, r]) => [type, String(r.total), String(r.active), humanSize(r.size), reclaimableText(r)])));
        return;
      }
      const imageCells = u.imageRows.flatMap(r => {
        const names = r.names.length ? r.names.map(splitName) : [{ repository: '<none>', tag: '<none>' }];
        return names.map(n => [n.repository, n.tag, shortId(r.image.id), timeAgo(r.image.config.created ?? r.image.pulledAt), humanSize(r.size), humanSize(r.sharedSize), humanSize(r.size - r.sharedSize), String(r.containers)]);
      });
      process.stdout.write('Images space usage:\n\n');
      process.stdout.write(formatTable(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'], imageCells));
      process.stdout.write('\nContainers space usage:\n\n');
      process.stdout.write(formatTable(['CONTAINER ID', 'IMAGE', 'COMMAND', 'LOCAL VOLUMES', 'SIZE', 'CREATED', 'STATUS', 'NAMES'], u.containerRows.map(({ container: c, size }) => [
        shortId(c.id), c.imageName, `"${c.argv.join(' ').slice(0, 20)}"`, String((c.spec.mounts ?? []).filter(m => m.kind === 'volume').length), humanSize(size), timeAgo(c.created), c.state.status, c.name,
      ])));
      process.stdout.write('\nLocal Volumes space usage:\n\n');
      process.stdout.write(formatTable(['VOLUME NAME', 'LINKS', 'SIZE'], u.volumeRows.map(v => [v.name, String(v.links), humanSize(v.size)])));
      process.stdout.write('\nBuild cache usage: 0B\n');
    });

  system.command('prune')
    .description('remove stopped containers, unused networks, dangling images (-a: unused images) and, with --volumes, unused anonymous volumes')
    .option('-a, --all', 'every image no container uses, not only dangling ones')
    .option('--volumes', 'also unused anonymous volumes')
    .option('-f, --force', 'do not ask for confirmation')
    .option('--filter <filter>', 'until=DURATION|TIME, label=KEY[=VALUE], label!=KEY[=VALUE] (repeatable)', collect, [])
    .action(async (flags: { all?: boolean; volumes?: boolean; force?: boolean; filter: string[] }) => {
      const filter = parsePruneFilters(flags.filter);
      if (flags.volumes && filter.until !== undefined) throw new RackerError('the until filter is not supported with --volumes', { hint: 'prune volumes without until, or leave out --volumes' });
      if (!flags.force && !await confirmPrune(systemPruneWarning(flags))) return;
      const engine = engineFrom(program);
      const out: string[] = [];
      const section = (title: string, items: string[]) => { if (items.length) out.push(`${title}:\n${items.map(i => `${i}\n`).join('')}\n`); };
      const containers = await pruneContainers(engine, filter);
      section('Deleted Containers', containers.removed);
      section('Deleted Networks', await pruneNetworks(engine, filter));
      let bytes = containers.bytes;
      if (flags.volumes) {
        const volumes = await pruneVolumes(engine, { filter });
        section('Deleted Volumes', volumes.removed);
        bytes += volumes.bytes;
      }
      const images = await pruneImages(engine, { all: flags.all, filter });
      section('Deleted Images', images.lines);
      bytes += images.bytes;
      process.stdout.write(`${out.join('')}Total reclaimed space: ${humanSize(bytes)}\n`);
    });
}
