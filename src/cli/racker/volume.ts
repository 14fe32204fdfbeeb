import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import { collect, engineFrom } from '../context.js';
import { eachName } from '../each.js';
import { parseLabels } from '../options.js';
import { humanSize } from '../progress.js';
import { formatTable } from '../table.js';
import { printable, printableJson } from '../../untrusted.js';
import type { VolumeService } from '../../engine/volumes.js';
import type { VolumeRecord } from '../../model/volume.js';

/** `racker volume create|ls|rm|inspect|prune`, with docker's flags and output. */

function volumes(program: Command): VolumeService {
  return engineFrom(program).volumes;
}

/** docker's `volume ls --filter`: dangling=true|false, name=SUBSTRING, label=KEY[=VALUE], driver=local. */
export function volumeFilter(filters: string[]): (v: VolumeRecord, used: boolean) => boolean {
  const tests: ((v: VolumeRecord, used: boolean) => boolean)[] = [];
  for (const f of filters) {
    const eq = f.indexOf('=');
    const key = f.slice(0, eq);
    const val = f.slice(eq + 1);
    if (eq < 0 || !['dangling', 'name', 'label', 'driver'].includes(key)) {
      throw new RackerError(`invalid filter '${printable(f.slice(0, 80))}'`, { hint: 'use dangling=true|false, name=NAME, label=KEY[=VALUE] or driver=local' });
    }
    if (key === 'dangling') {
      if (!['true', 'false', '1', '0'].includes(val)) throw new RackerError(`invalid filter 'dangling=${printable(val.slice(0, 80))}'`, { hint: 'use dangling=true or dangling=false' });
      const want = val === 'true' || val === '1';
      tests.push((_v, used) => used !== want);
    } else if (key === 'name') {
      tests.push(v => v.Name.includes(val));
    } else if (key === 'driver') {
      tests.push(v => v.Driver === val);
    } else {
      const leq = val.indexOf('=');
      tests.push(leq < 0 ? v => val in v.Labels : v => v.Labels[val.slice(0, leq)] === val.slice(leq + 1));
    }
  }
  return (v, used) => tests.every(t => t(v, used));
}

/** What `volume inspect` prints for one volume (docker's fields). */
export function inspectView(v: VolumeRecord): Record<string, unknown> {
  return { CreatedAt: v.CreatedAt, Driver: v.Driver, Labels: v.Labels, Mountpoint: v.Mountpoint, Name: v.Name, Options: v.Options, Scope: 'local' };
}

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
}

async function confirm(question: string): Promise<boolean> {
  process.stderr.write(question);
  const rl = createInterface({ input: process.stdin });
  const line = await new Promise<string>(resolve => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  return /^y(es)?$/i.test(line.trim());
}

export function register(program: Command): void {
  const volume = program.command('volume').description('manage named volumes');

  volume.command('create')
    .description('create a volume (an existing name is kept as it is); prints its name')
    .argument('[name]', 'the name (default: 64 random hex digits)')
    .option('-l, --label <key=value>', 'set a label (repeatable)', collect, [])
    .action(async (name: string | undefined, flags: { label: string[] }) => {
      const { volume: v } = await volumes(program).create({ name, labels: parseLabels(flags.label) });
      process.stdout.write(`${v.Name}\n`);
    });

  volume.command('ls')
    .alias('list')
    .description('list volumes')
    .option('-q, --quiet', 'only names')
    .option('-f, --filter <filter>', 'dangling=true|false, name=NAME, label=KEY[=VALUE], driver=local (repeatable)', collect, [])
    .option('--format <format>', 'table or json (one object per line, as docker)', 'table')
    .action(async (flags: { quiet?: boolean; filter: string[]; format: string }) => {
      if (flags.format !== 'table' && flags.format !== 'json') {
        throw new RackerError(`unknown --format '${printable(flags.format.slice(0, 80))}'`, { hint: 'use table or json' });
      }
      const wanted = volumeFilter(flags.filter);
      const service = volumes(program);
      const rows: VolumeRecord[] = [];
      for (const v of await service.list()) if (wanted(v, (await service.users(v.Name)).length > 0)) rows.push(v);
      if (flags.quiet) {
        process.stdout.write(rows.map(v => `${v.Name}\n`).join(''));
      } else if (flags.format === 'json') {
        for (const v of rows) {
          process.stdout.write(printableJson({ Driver: v.Driver, Labels: labelText(v.Labels), Mountpoint: v.Mountpoint, Name: v.Name, Scope: 'local' }) + '\n');
        }
      } else {
        process.stdout.write(formatTable(['DRIVER', 'VOLUME NAME'], rows.map(v => [v.Driver, v.Name])));
      }
    });

  volume.command('inspect')
    .description('show volumes as JSON')
    .argument('<name...>')
    .action(async (names: string[]) => {
      const service = volumes(program);
      const found: Record<string, unknown>[] = [];
      await eachName(names, async n => { found.push(inspectView(await service.get(n))); });
      process.stdout.write(printableJson(found, 4) + '\n');
    });

  volume.command('rm')
    .alias('remove')
    .description('remove volumes no container uses')
    .argument('<name...>')
    .option('-f, --force', 'a missing volume is not an error')
    .action(async (names: string[], flags: { force?: boolean }) => {
      const service = volumes(program);
      await eachName(names, async n => {
        if (await service.remove(n, { force: !!flags.force })) process.stdout.write(`${n}\n`);
      });
    });

  volume.command('prune')
    .description('remove unused anonymous volumes (with -a: every unused volume)')
    .option('-a, --all', 'also unused named volumes')
    .option('-f, --force', 'do not ask for confirmation')
    .action(async (flags: { all?: boolean; force?: boolean }) => {
      const what = flags.all ? 'all local volumes' : 'anonymous local volumes';
      if (!flags.force && !await confirm(`WARNING! This will remove ${what} not used by at least one container.\nAre you sure you want to continue? [y/N] `)) return;
      const { removed, bytes } = await volumes(program).prune({ all: !!flags.all });
      if (removed.length) process.stdout.write(`Deleted Volumes:\n${removed.map(n => `${n}\n`).join('')}\n`);
      process.stdout.write(`Total reclaimed space: ${humanSize(bytes)}\n`);
    });
}
