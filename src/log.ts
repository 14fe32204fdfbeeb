import chalk from 'chalk';
import { printable } from './untrusted.js';

/** Global verbosity, set once by the entry point from --verbose / --debug. */
export const logLevel = { verbose: false, debug: false };

export function verbose(msg: string): void {
  if (logLevel.verbose || logLevel.debug) process.stderr.write(chalk.dim(printable(msg)) + '\n');
}

export function debug(msg: string): void {
  if (logLevel.debug) process.stderr.write(chalk.dim('[debug] ' + printable(msg)) + '\n');
}

export function warn(msg: string): void {
  process.stderr.write(chalk.yellow('warning: ') + printable(msg) + '\n');
}

/** Quote one argument for display only (never for execution). */
export function displayArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
