import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import chalk from 'chalk';
import { RackerError, EXIT } from '../errors.js';
import { describeCause, logLevel } from '../log.js';
import { printable } from '../untrusted.js';
import { resolveSettings, type GlobalFlags } from '../settings.js';
import { Engine } from '../engine/engine.js';
import { EngineEvents } from '../engine/events.js';
import { curatedResolver } from '../postroj/curated-pull.js';
import { progressListener } from './progress.js';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * The engine a verb calls, for the global flags given, with postroj's curated
 * labels and its events printed on stderr (warnings, status lines, progress).
 */
export function engineFrom(program: Command): Engine {
  const settings = resolveSettings(program.opts<GlobalFlags>());
  const events = new EngineEvents();
  events.on('warning', m => process.stderr.write(chalk.yellow('warning: ') + printable(m) + '\n'));
  events.on('status', m => process.stderr.write(printable(m) + '\n'));
  events.on('progress', progressListener(process.stderr));
  return new Engine({ settings, events, resolver: curatedResolver });
}

/** The program skeleton shared by racker and postroj: global options, errors, exit codes. */
export function createProgram(name: string, description: string): Command {
  const program = new Command(name)
    .description(description)
    .version(VERSION, '--version', 'print the version and exit')
    .option('--root <dir>', 'store location (env RACKER_ROOT, default /var/lib/racker)')
    .option('--verbose', 'say more about what is happening')
    .option('--debug', 'print every external command before running it')
    .option('--registry-timeout <seconds>', 'longest wait for a registry manifest or token (env RACKER_REGISTRY_TIMEOUT, default 60)')
    .option('--registry-min-rate <KiB/s>', 'slowest average rate a blob may arrive at (env RACKER_REGISTRY_MIN_RATE, default 10)')
    .enablePositionalOptions()
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(chalk.red(str.replace(/^error: /, `${name}: `))) });
  program.hook('preAction', (thisCommand) => {
    const o = thisCommand.opts<{ verbose?: boolean; debug?: boolean }>();
    logLevel.verbose = !!o.verbose;
    logLevel.debug = !!o.debug;
  });
  return program;
}

/** Run the program; print one red line (plus hint) for a failure and exit with docker's codes. */
export async function main(program: Command, argv: string[]): Promise<never> {
  let code = 0;
  try {
    await program.parseAsync(argv, { from: 'user' });
    code = process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    code = reportError(program.name(), err);
  }
  // flush stdout before leaving (it may be a pipe)
  await new Promise<void>(resolve => process.stdout.write('', () => resolve()));
  process.exit(code);
}

export function reportError(name: string, err: unknown): number {
  if (err instanceof CommanderError) {
    // help and --version end through here too, with code 0
    return err.exitCode === 0 ? 0 : EXIT.RACKER;
  }
  if (err instanceof RackerError) {
    // messages carry strings from images and registries: nothing raw reaches the terminal
    process.stderr.write(chalk.red(`${name}: ${printable(err.message)}`) + '\n');
    if (err.hint) process.stderr.write(chalk.dim(`hint: ${printable(err.hint)}`) + '\n');
    if (logLevel.debug && err.cause !== undefined) process.stderr.write(printable(describeCause(err.cause)) + '\n');
    return err.exitCode;
  }
  const e = err as NodeJS.ErrnoException;
  process.stderr.write(chalk.red(`${name}: ${printable(e?.message ?? String(err))}`) + '\n');
  if (e?.code === 'EACCES' || e?.code === 'EPERM') process.stderr.write(chalk.dim('hint: racker needs root (try sudo)') + '\n');
  if (logLevel.debug && err !== undefined) process.stderr.write(printable(describeCause(err)) + '\n');
  return EXIT.RACKER;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
