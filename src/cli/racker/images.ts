import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import { contextFrom } from '../context.js';
import { parseReference, familiarName } from '../../image/reference.js';
import { storedNameCandidates } from './pull.js';
import { humanSize } from '../../store/progress.js';
import type { ImageRecord, Tags } from '../../store/image-store.js';
import { formatTable, timeAgo } from '../table.js';
import { renderTemplate } from '../go-template.js';
import { printableJson } from '../../untrusted.js';

export interface ImageRow { id: string; repository: string; tag: string; digest: string; created: string; size: number; names: string[]; name?: string }

/** Split a stored name into docker's REPOSITORY and TAG columns. */
export function splitName(name: string): { repository: string; tag: string } {
  try {
    const ref = parseReference(name);
    if (ref.transport === 'docker') return familiarName(ref);
  } catch {
    // a name we stored ourselves but cannot parse: show it whole
  }
  const colon = name.lastIndexOf(':');
  return colon > name.indexOf(':') ? { repository: name.slice(0, colon), tag: name.slice(colon + 1) } : { repository: name, tag: '<none>' };
}

export function imageRows(images: ImageRecord[], tags: Tags): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const img of images) {
    const names = Object.keys(tags).filter(n => tags[n] === img.id).sort();
    const base = { id: img.id, digest: img.manifestDigest, created: img.config.created ?? img.pulledAt, size: img.size, names };
    if (names.length === 0) rows.push({ ...base, repository: '<none>', tag: '<none>' });
    for (const n of names) rows.push({ ...base, ...splitName(n), name: n });
  }
  return rows.sort((a, b) => a.repository.localeCompare(b.repository) || a.tag.localeCompare(b.tag));
}

/**
 * docker's `images REPOSITORY[:TAG]`: which stored names to show. A name
 * without a tag matches every tag of its repository.
 */
export function nameFilter(input: string): (name: string) => boolean {
  const ref = parseReference(input);
  if (ref.transport !== 'docker' || input.includes('@')) {
    const names = storedNameCandidates(input);
    return name => names.includes(name);
  }
  const tagged = /:[^/]*$/.test(input);
  return name => {
    try {
      const stored = parseReference(name);
      return stored.transport === 'docker' && stored.registry === ref.registry && stored.repository === ref.repository
        && (!tagged || stored.tag === ref.tag);
    } catch {
      return false;
    }
  };
}

export function register(program: Command): void {
  program.command('images')
    .description('list images in the local store')
    .argument('[reference]', 'only this repository (all its tags) or repository:tag')
    .option('--format <format>', 'table, json (one JSON object per line, as docker) or a Go template such as {{.Repository}}:{{.Tag}}', 'table')
    .option('-q, --quiet', 'only image ids')
    .option('--no-trunc', 'do not shorten image ids')
    .action(async (reference: string | undefined, flags: { format: string; quiet?: boolean; trunc: boolean }) => {
      const ctx = contextFrom(program);
      const wanted = reference === undefined ? undefined : nameFilter(reference);
      const rows = imageRows(await ctx.images.listImages(), await ctx.images.readTags())
        .filter(r => !wanted || (r.name !== undefined && wanted(r.name)));
      const id = (r: ImageRow) => (flags.trunc ? r.id.slice(7, 19) : r.id);
      if (flags.quiet) {
        process.stdout.write([...new Set(rows.map(id))].map(i => `${i}\n`).join(''));
      } else if (flags.format === 'json' || flags.format.includes('{{')) {
        for (const r of rows) {
          const row = {
            Id: r.id, Repository: r.repository, Tag: r.tag, Digest: r.digest, CreatedAt: r.created,
            Size: r.size, Names: r.names,
          };
          // docker's Go templates, e.g. --format '{{.Repository}}:{{.Tag}}'
          process.stdout.write((flags.format === 'json' ? printableJson(row) : renderTemplate(flags.format, { ...row, ID: id(r), Size: humanSize(r.size) })) + '\n');
        }
      } else if (flags.format === 'table') {
        process.stdout.write(formatTable(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'],
          rows.map(r => [r.repository, r.tag, id(r), timeAgo(r.created), humanSize(r.size)])));
      } else {
        throw new RackerError(`unknown --format '${flags.format}'`, { hint: 'use table, json or a template such as {{.Repository}}:{{.Tag}}' });
      }
    });
}
