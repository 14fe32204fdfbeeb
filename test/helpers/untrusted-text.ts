import { expect } from 'vitest';
import { RackerError } from '../../src/errors.js';

/** What a hostile image or registry puts in its strings, and the patterns that must not reach a terminal. */
export const TITLE = '\x1b]0;pwned\x07';
export const CLEAR = '\x1b[2J';
/** every byte a terminal may act on: C0, DEL, C1 */
export const RAW_CONTROL = /[\x00-\x1f\x7f-\x9f]/;
/** the same, for output that is several lines */
export const BUT_NEWLINE = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

/** The RackerError `fn` throws; fails the test when it throws something else or nothing. */
export function thrown(fn: () => unknown): RackerError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RackerError);
    return err as RackerError;
  }
  throw new Error('expected a RackerError');
}
