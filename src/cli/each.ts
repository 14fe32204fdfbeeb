import { printable } from '../untrusted.js';

/**
 * docker's rule for verbs that take several names: each is done on its own;
 * one that fails is reported on stderr and the verb exits 1 at the end. With a
 * single name its error is the verb's error (one line, its own exit code).
 */
export async function eachName(names: string[], fn: (name: string) => Promise<void>, opts: { echo?: boolean } = {}): Promise<void> {
  let failed = false;
  for (const n of names) {
    try {
      await fn(n);
      if (opts.echo) process.stdout.write(`${n}\n`);
    } catch (err) {
      if (names.length === 1) throw err;
      failed = true;
      process.stderr.write(`racker: ${printable((err as Error).message)}\n`);
    }
  }
  if (failed) process.exitCode = 1;
}
