import type { Command } from 'commander';
import { collect, engineFrom } from '../context.js';
import { parseEnvAssignments } from '../../engine/flags.js';

interface ExecFlags { interactive?: boolean; tty?: boolean; env: string[]; user?: string; workdir?: string }

export function register(program: Command): void {
  program.command('exec')
    .description('run a command in a running container')
    .usage('[options] CONTAINER COMMAND [ARG...]')
    .argument('<container>')
    .argument('<command...>')
    .passThroughOptions()
    .option('-i, --interactive', 'pass stdin to the command')
    .option('-t, --tty', 'use the terminal')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('-u, --user <user[:group]>', 'user to run as')
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .action(async (name: string, argv: string[], flags: ExecFlags) => {
      process.exitCode = await engineFrom(program).containers.exec(name, argv, {
        env: parseEnvAssignments(flags.env, process.env), user: flags.user, workdir: flags.workdir,
        interactive: flags.interactive, tty: flags.tty,
      });
    });
}
