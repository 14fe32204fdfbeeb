import type { Command } from 'commander';
import { Option } from 'commander';
import { engineFrom } from '../context.js';
import { eachName } from '../each.js';
import { seconds } from '../options.js';

/** -t SECONDS; without it, each container's own stop timeout (racker run --stop-timeout). */
const timeOption = () => new Option('-t, --time <seconds>', 'seconds to wait before killing (default: the container\'s --stop-timeout)').argParser(seconds({ allowZero: true }));

export function register(program: Command): void {
  program.command('stop')
    .description('stop running containers (SIGTERM, or power off a booted one; SIGKILL after the timeout)')
    .argument('<container...>')
    .addOption(timeOption())
    .action(async (names: string[], flags: { time?: number }) => {
      const engine = engineFrom(program);
      await eachName(names, async n => { await engine.containers.stop(n, flags.time); }, { echo: true });
    });

  program.command('kill')
    .description('send a signal to the main process of running containers')
    .argument('<container...>')
    .option('-s, --signal <signal>', 'signal name or number', 'KILL')
    .action(async (names: string[], flags: { signal: string }) => {
      const engine = engineFrom(program);
      const signal = /^\d+$/.test(flags.signal) ? Number(flags.signal) : flags.signal;
      await eachName(names, async n => { await engine.containers.kill(n, signal); }, { echo: true });
    });

  program.command('start')
    .description('start stopped containers again, with their writable layer')
    .argument('<container...>')
    .action(async (names: string[]) => {
      const engine = engineFrom(program);
      await eachName(names, async n => { await engine.containers.start(n); }, { echo: true });
    });

  program.command('restart')
    .description('stop and start containers')
    .argument('<container...>')
    .addOption(timeOption())
    .action(async (names: string[], flags: { time?: number }) => {
      const engine = engineFrom(program);
      await eachName(names, async n => { await engine.containers.restart(n, flags.time); }, { echo: true });
    });
}
