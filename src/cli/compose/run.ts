import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import type { Engine } from '../../engine/engine.js';
import type { Project } from '../../compose/types.js';
import { shown } from '../../untrusted.js';
import { collect } from '../context.js';

/** `racker compose run`: docker compose's flags, handed to compose/one-off.ts. */

type Load = (services?: string[]) => Promise<Project>;
const report = (line: string) => process.stderr.write(`${line.startsWith('warning: ') ? line : ` ✔ ${line}`}\n`);

interface RunFlags {
  rm?: boolean; interactive?: boolean; tty?: boolean; TTY: boolean; detach?: boolean; env: string[]; volume: string[]; workdir?: string; user?: string;
  entrypoint?: string; name?: string; deps: boolean; publish: string[]; servicePorts?: boolean; useAliases?: boolean; label: string[];
}

export function registerRun(compose: Command, engineOf: () => Engine, load: Load): void {
  compose.command('run')
    .description('run a one-off container of a service')
    .argument('<service>')
    .argument('[command...]')
    .option('--rm', 'remove the container when it exits')
    .option('-d, --detach', 'start it in the background and print its name')
    .option('-i, --interactive', 'pass stdin')
    .option('-t, --tty', 'a pseudo-terminal (the default when stdin is a terminal)')
    .option('-T, --no-TTY', 'no pseudo-terminal')
    .option('-e, --env <KEY=VALUE>', 'set a variable (repeatable; KEY alone takes it from here)', collect, [])
    .option('-v, --volume <SRC:DST[:ro]>', 'mount as the service\'s volumes: short syntax (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory in the container')
    .option('-u, --user <user>', 'user to run as')
    .option('--entrypoint <cmd>', 'replace the entrypoint ("" clears it)')
    .option('--name <name>', 'name the container')
    .option('--no-deps', 'do not start what the service depends on')
    .option('-p, --publish <[IP:][HOST:]CONTAINER>', 'publish a port (repeatable)', collect, [])
    .option('-P, --service-ports', 'publish the service\'s ports')
    .option('--use-aliases', 'the service\'s network aliases for this container too')
    .option('-l, --label <KEY=VALUE>', 'add a label (repeatable)', collect, [])
    .passThroughOptions()
    .action(async (service: string, command: string[], f: RunFlags) => {
      const project = await load([service]);
      if (!project.services[service]) throw new RackerError(`no such service: ${shown(service, 80)}`, { hint: `services: ${Object.keys(project.services).sort().join(', ')}` });
      if (f.detach && f.rm) throw new RackerError('--detach and --rm cannot be combined', { hint: 'racker has no daemon to remove a detached container when it exits' });
      // docker compose: a terminal by default when stdin is one, -T turns it off
      const tty = f.TTY && (f.tty ?? (!f.detach && !!process.stdin.isTTY));
      const lib = await import('../../compose/lazy.js');
      process.exitCode = await lib.runOneOff(engineOf(), project, service, {
        command, rm: f.rm, detach: f.detach, tty, interactive: f.interactive || tty, env: f.env, volumes: f.volume, workdir: f.workdir, user: f.user,
        entrypoint: f.entrypoint, name: f.name, noDeps: !f.deps, publish: f.publish, servicePorts: f.servicePorts, useAliases: f.useAliases, labels: f.label,
      }, report);
    });
}
