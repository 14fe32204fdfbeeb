import { RackerError } from '../errors.js';
import { shown } from '../untrusted.js';

/**
 * docker's short volume syntax, `[SOURCE:]TARGET[:OPTS]`, read the same way
 * for `racker run -v` and compose's `volumes:`. What a source means (a host
 * path, a volume name) and which options a caller supports is the caller's
 * to decide; this says only what was written. Errors are docker's texts.
 */

export interface VolumeSyntax {
  /** undefined: an anonymous volume */
  source?: string;
  target: string;
  /** the options after the last colon, in order (ro, rw, z, Z, nocopy, a propagation) */
  options: string[];
}

export const VOLUME_OPTIONS = ['ro', 'rw', 'z', 'Z', 'nocopy', 'shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate'];
const isOptions = (s: string) => s.split(',').every(o => VOLUME_OPTIONS.includes(o));
const HINT = 'use [SOURCE:]TARGET[:ro|rw|nocopy|z|Z] (a path containing ":" needs --mount or the long syntax)';

export function parseVolumeSyntax(raw: string): VolumeSyntax {
  const invalid = (why = ''): never => { throw new RackerError(`invalid volume specification: '${shown(raw, 200)}'${why}`, { hint: HINT }); };
  if (raw.includes('\0')) invalid(': it contains a NUL byte');
  const parts = raw.split(':');
  if (parts.length > 3 || parts.some(p => p === '')) invalid();
  let options: string[] = [];
  // TARGET:OPTS when the second part is options, not a path
  if (parts.length === 3 || (parts.length === 2 && !parts[1].startsWith('/') && isOptions(parts[1]))) options = parts.pop()!.split(',');
  const [source, target] = parts.length === 2 ? parts : [undefined, parts[0]];
  const bad = options.find(o => !VOLUME_OPTIONS.includes(o));
  if (bad !== undefined) throw new RackerError(`invalid mode: ${shown(bad, 40)}`, { hint: `in '${shown(raw, 120)}': ${VOLUME_OPTIONS.join(', ')} (comma-separated)` });
  if (!target.startsWith('/')) invalid(`: mount path must be absolute ('${shown(target, 80)}')`);
  return { ...(source !== undefined ? { source } : {}), target, options };
}
