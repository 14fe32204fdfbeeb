/**
 * The racker CLI as a V8 start-up snapshot (scripts/snapshot.mjs builds it
 * from this entry's bundle; bin/racker starts node from it when it was built
 * by the same node binary). Every module is loaded and the program declared
 * when the snapshot is made; a start only parses its arguments and runs the
 * verb (docs/performance.md).
 */
import { isatty } from 'node:tty';
import { startupSnapshot } from 'node:v8';
import chalk from 'chalk';
import type { Command } from 'commander';
import { main } from '../context.js';
import { colorLevel } from '../color-level.js';
import { rackerProgram } from './program.js';

/**
 * Code that ran while the snapshot was made is kept compiled in it. So a
 * second program, silent and never used again, parses what every start
 * parses (global options, a verb, help and version, a bad flag); actions
 * never run: each of these ends in commander's exit, which throws here.
 */
function warmUp(): void {
  const silent = (c: Command): void => {
    c.configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
    c.commands.forEach(silent);
  };
  for (const argv of [['--version'], ['--help'], ['ps', '--help'], ['run', '--help'], ['images', '--no-such-flag'], ['--root', '/nonexistent', 'no-such-verb']]) {
    const program = rackerProgram();
    silent(program);
    try { program.parse(argv, { from: 'user' }); } catch { /* commander's exit, by design */ }
  }
}

warmUp();
const program = rackerProgram();
startupSnapshot.setDeserializeMainFunction(() => {
  chalk.level = colorLevel(isatty(1), process.env);
  // node started with `--snapshot-blob FILE --`: what follows is racker's
  void main(program, process.argv.slice(1));
});
