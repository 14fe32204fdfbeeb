import { createInterface } from 'node:readline';
import { RackerError } from '../errors.js';

/**
 * docker's prune prompt: the warning, then `Are you sure you want to continue? [y/N]`
 * on a terminal. Without a terminal nobody can answer, so prune refuses instead
 * of guessing; `-f` skips the question.
 */
export async function confirmPrune(warning: string, stdin: NodeJS.ReadStream = process.stdin): Promise<boolean> {
  if (!stdin.isTTY) {
    throw new RackerError('prune asks for confirmation, and stdin is not a terminal', { hint: 'add -f (--force) to prune without asking' });
  }
  process.stderr.write(`${warning}\nAre you sure you want to continue? [y/N] `);
  const rl = createInterface({ input: stdin });
  const line = await new Promise<string>(resolve => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  return /^y(es)?$/i.test(line.trim());
}
