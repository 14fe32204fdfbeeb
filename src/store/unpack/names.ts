import { RackerError } from '../../errors.js';
import { shown } from '../../untrusted.js';

/** Entry names from the archive: shown safely, and split into components that stay inside the root. */

export const MAX_DEPTH = 512;
const MAX_NAME_BYTES = 4096;

/** For messages: control characters escaped, very long names cut. */
export function show(name: string): string {
  return shown(name, 300);
}

/**
 * Splits an archive path into components inside the root: leading `/` and
 * `./`, empty and `.` components dropped, `..` applied lexically and refused
 * when it climbs above the root. [] is the root itself.
 */
export function normaliseName(raw: string, subject = `layer entry '${show(raw)}'`): string[] {
  if (raw.includes('\0')) throw new RackerError(`${subject} contains a NUL byte`);
  if (Buffer.byteLength(raw) > MAX_NAME_BYTES) throw new RackerError(`${subject} is longer than ${MAX_NAME_BYTES} bytes`);
  const parts: string[] = [];
  for (const c of raw.split('/')) {
    if (c === '' || c === '.') continue;
    if (c !== '..') parts.push(c);
    else if (parts.pop() === undefined) throw new RackerError(`${subject} escapes the root`);
  }
  if (parts.length > MAX_DEPTH) throw new RackerError(`${subject} is nested deeper than ${MAX_DEPTH} directories`);
  return parts;
}
