import type { Command } from 'commander';
import { engineFrom } from '../context.js';
import { eachName } from '../each.js';

export function register(program: Command): void {
  program.command('rm')
    .description('remove containers')
    .argument('<container...>')
    .option('-f, --force', 'kill and remove running containers')
    .option('-v, --volumes', 'also remove the anonymous volumes of the containers')
    .action(async (names: string[], flags: { force?: boolean; volumes?: boolean }) => {
      const engine = engineFrom(program);
      await eachName(names, async n => { await engine.containers.remove(n, { force: flags.force, volumes: flags.volumes }); }, { echo: true });
    });

  program.command('container')
    .description('manage containers')
    .command('prune')
    .description('remove all stopped containers')
    .action(async () => {
      for (const id of await engineFrom(program).containers.prune()) process.stdout.write(`${id}\n`);
    });
}
