import type { Command } from 'commander';
import { Option } from 'commander';
import { engineFrom } from '../context.js';
import { seconds } from '../options.js';
import { WAIT_CONDITIONS, type WaitCondition } from '../../engine/wait.js';

export function register(program: Command): void {
  program.command('wait')
    .description('block until containers stop and print their exit codes (or until they are healthy)')
    .argument('<container...>')
    .addOption(new Option('--condition <condition>', 'not-running (default), next-exit, or healthy').choices(WAIT_CONDITIONS).default('not-running'))
    .addOption(new Option('--timeout <seconds>', 'give up after this long (exit 1)').argParser(seconds({ allowZero: false })))
    .action(async (names: string[], flags: { condition: WaitCondition; timeout?: number }) => {
      const engine = engineFrom(program);
      for (const n of names) {
        const code = await engine.containers.wait(n, flags.condition, flags.timeout === undefined ? undefined : flags.timeout * 1000);
        if (code !== undefined) process.stdout.write(`${code}\n`);
      }
    });
}
