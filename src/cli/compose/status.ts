import type { Command } from 'commander';
import { Option } from 'commander';
import { RackerError } from '../../errors.js';
import type { Engine } from '../../engine/engine.js';
import type { Project } from '../../compose/types.js';
import { shortId } from '../../model/image.js';
import { printableJson, shown } from '../../untrusted.js';
import { VERSION } from '../context.js';
import { formatOption } from '../options.js';
import { humanSize } from '../progress.js';
import { formatTable } from '../table.js';

/**
 * The compose subcommands that create or tell about a project's containers
 * without attaching to them: create, images, ls, wait, events, version.
 */

type Load = (services?: string[]) => Promise<Project>;
const report = (line: string) => process.stderr.write(`${line.startsWith('warning: ') ? line : ` ✔ ${line}`}\n`);
const lib = () => import('../../compose/lazy.js');

function checkServices(project: Project, services: string[]): void {
  const unknown = services.find(s => !project.services[s]);
  if (unknown !== undefined) throw new RackerError(`no such service: ${shown(unknown, 80)}`, { hint: `services: ${Object.keys(project.services).sort().join(', ')}` });
}

export function registerStatus(compose: Command, engineOf: () => Engine, load: Load): void {
  compose.command('create')
    .description('create the project\'s containers (and networks, volumes), start none')
    .argument('[service...]', 'only these services (and what they depend on)')
    .option('--force-recreate', 'recreate containers even when their configuration is unchanged')
    .option('--remove-orphans', 'remove containers of services not in the file')
    .action(async (services: string[], flags: { forceRecreate?: boolean; removeOrphans?: boolean }) => {
      const project = await load(services);
      await (await lib()).up(engineOf(), project, { services, noStart: true, forceRecreate: flags.forceRecreate, removeOrphans: flags.removeOrphans }, report);
    });

  compose.command('images')
    .description('the images the project\'s containers were made from')
    .argument('[service...]')
    .option('-q, --quiet', 'only image ids')
    .addOption(formatOption(['table', 'json'], 'table'))
    .action(async (services: string[], flags: { quiet?: boolean; format: string }) => {
      const project = await load();
      checkServices(project, services);
      const rows = await (await lib()).imageRows(engineOf(), project, services);
      if (flags.quiet) process.stdout.write([...new Set(rows.map(r => r.ID))].map(id => `${id}\n`).join(''));
      else if (flags.format === 'json') process.stdout.write(`${printableJson(rows)}\n`);
      else process.stdout.write(formatTable(['CONTAINER', 'REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE'], rows.map(r => [r.ContainerName, r.Repository, r.Tag, shortId(r.ID), humanSize(r.Size)])));
    });

  compose.command('ls')
    .description('the compose projects that have containers here')
    .option('-a, --all', 'also projects whose containers are all stopped')
    .option('-q, --quiet', 'only project names')
    .addOption(formatOption(['table', 'json'], 'table'))
    .action(async (flags: { all?: boolean; quiet?: boolean; format: string }) => {
      const rows = await (await lib()).listProjects(engineOf(), { all: flags.all });
      if (flags.quiet) process.stdout.write(rows.map(r => `${r.Name}\n`).join(''));
      else if (flags.format === 'json') process.stdout.write(`${printableJson(rows)}\n`);
      else process.stdout.write(formatTable(['NAME', 'STATUS', 'CONFIG FILES'], rows.map(r => [r.Name, r.Status, r.ConfigFiles])));
    });

  compose.command('wait')
    .description('block until the services\' containers stop and print their exit codes')
    .argument('<service...>')
    .option('--down-project', 'when the first container stops, stop and remove the project')
    .action(async (services: string[], flags: { downProject?: boolean }) => {
      const engine = engineOf();
      const project = await load();
      checkServices(project, services);
      const recs = await (await lib()).serviceContainers(engine, project.name, services);
      if (!recs.length) throw new RackerError(`no containers for ${services.join(', ')}`, { hint: 'create them with racker compose up -d' });
      await (await lib()).waitServices(engine, recs, (_rec, code) => process.stdout.write(`${code}\n`), { first: flags.downProject });
      if (flags.downProject) await (await lib()).down(engine, project, {}, report);
    });

  compose.command('events')
    .description('what happens to the project\'s containers, as it happens (until Ctrl-C)')
    .argument('[service...]')
    .option('--json', 'one JSON object a line')
    .action(async (services: string[], flags: { json?: boolean }) => {
      const project = await load();
      checkServices(project, services);
      const { eventJson, formatEvent, watchEvents } = await lib();
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await watchEvents(engineOf(), project.name, services, e => process.stdout.write(`${flags.json ? eventJson(e) : formatEvent(e)}\n`), ac.signal);
    });

  compose.command('version')
    .description('racker\'s version, as docker compose prints its own')
    .option('--short', 'only the number')
    .addOption(new Option('-f, --format <format>', 'pretty or json').choices(['pretty', 'json']).default('pretty'))
    .action((flags: { short?: boolean; format: string }) => {
      if (flags.short) process.stdout.write(`${VERSION}\n`);
      else if (flags.format === 'json') process.stdout.write(`${printableJson({ version: `v${VERSION}` })}\n`);
      else process.stdout.write(`racker compose version v${VERSION}\n`);
    });
}
