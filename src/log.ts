import chalk from 'chalk';

/** Global verbosity, set once by the entry point from --verbose / --debug. */
export const logLevel = { verbose: false, debug: false };

export function verbose(msg: string): void {
  if (logLevel.verbose || logLevel.debug) process.stderr.write(chalk.dim(msg) + '\n');
}

export function debug(msg: string): void {
  if (logLevel.debug) process.stderr.write(chalk.dim('[debug] ' + msg) + '\n');
}

export function warn(msg: string): void {
  process.stderr.write(chalk.yellow('warning: ') + msg + '\n');
}

/** Quote one argument for display only (never for execution). */
export function displayArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
