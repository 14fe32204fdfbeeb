import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import { warn } from '../../log.js';
import type { LoadOptions } from '../../compose/load.js';

/** The compose library (and the YAML parser) loads when a compose command runs. */
const lib = () => import('../../compose/lazy.js');
import { formatOption } from '../options.js';
import { engineFrom } from '../context.js';
import { registerRunning } from '../compose/commands.js';

/**
 * `racker compose`: the project options shared by every subcommand, `config`
 * here, the subcommands that run things in cli/compose/commands.ts; they load the
 * project the same way (`projectOptions`).
 */

interface ProjectFlags { file: string[]; projectName?: string; projectDirectory?: string; envFile: string[]; profile: string[] }

const collect = (value: string, previous: string[]) => [...previous, value];

/** The compose command's flags as loadProject's options. */
export function projectOptions(compose: Command, services: string[] = []): LoadOptions {
  const f = compose.opts<ProjectFlags>();
  return {
    files: f.file, projectName: f.projectName, projectDirectory: f.projectDirectory, envFiles: f.envFile,
    profiles: f.profile.flatMap(p => p.split(',')).filter(Boolean), services,
  };
}

/** The project, its warnings printed once. */
export async function loadFor(compose: Command, services: string[] = []) {
  const project = (await lib()).loadProject(projectOptions(compose, services));
  for (const w of project.warnings) warn(w);
  return project;
}

export function register(program: Command): void {
  const compose = program.command('compose')
    .description('multi-container projects from compose.yaml')
    .option('-f, --file <file>', 'compose file (repeat to merge several, in order)', collect, [])
    .option('-p, --project-name <name>', 'project name (default: COMPOSE_PROJECT_NAME, name: in the file, or the folder)')
    .option('--project-directory <dir>', 'where relative paths and .env are resolved (default: the first file\'s folder)')
    .option('--env-file <file>', 'variables for interpolation instead of .env (repeatable)', collect, [])
    .option('--profile <name>', 'enable services of this profile (repeatable; also COMPOSE_PROFILES)', collect, [])
    .enablePositionalOptions();

  compose.command('config')
    .description('check the project and print it normalised')
    .argument('[service...]', 'only these services')
    .option('--services', 'print the service names, one a line')
    .option('--volumes', 'print the volume names, one a line')
    .option('--hash <services>', "print 'service hash' for these services (comma-separated, or '*')")
    .addOption(formatOption(['yaml', 'json'], 'yaml'))
    .option('-q, --quiet', 'only check; print nothing')
    .action(async (services: string[], flags: { services?: boolean; volumes?: boolean; hash?: string; format: string; quiet?: boolean }) => {
      const project = (await lib()).loadProject(projectOptions(compose, services));
      for (const w of project.warnings) warn(w);
      if (services.length) {
        // the named services and what they depend on
        const keep = new Set<string>();
        const add = (s: string) => { if (keep.has(s)) return; keep.add(s); Object.keys(project.services[s].depends_on).forEach(add); };
        services.forEach(add);
        project.services = Object.fromEntries(Object.entries(project.services).filter(([k]) => keep.has(k)));
      }
      if (flags.quiet) return;
      if (flags.hash !== undefined) {
        const names = flags.hash === '*' ? [] : flags.hash.split(',').map(s => s.trim());
        const unknown = names.find(n => !project.services[n]);
        if (unknown !== undefined) throw new RackerError(`no such service: ${unknown}`, { hint: `services: ${Object.keys(project.services).sort().join(', ')}` });
        process.stdout.write((await lib()).renderHashes(project, flags.hash));
      } else if (flags.services) {
        process.stdout.write(Object.keys(project.services).sort().map(s => `${s}\n`).join(''));
      } else if (flags.volumes) {
        process.stdout.write(Object.keys(project.volumes).sort().map(v => `${v}\n`).join(''));
      } else {
        process.stdout.write(flags.format === 'json' ? (await lib()).renderJson(project) : (await lib()).renderYaml(project));
      }
    });

  registerRunning(compose, () => engineFrom(program), services => loadFor(compose, services));
}
