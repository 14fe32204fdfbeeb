import { stat } from 'node:fs/promises';
import path from 'node:path';
import { RackerError } from '../errors.js';

export interface VolumeSpec { source: string; target: string; readOnly: boolean }

/** Container paths a bind mount may not cover: the container would not work, or the host would leak in. */
const FORBIDDEN_TARGETS = ['/', '/proc', '/sys', '/dev', '/run', '/etc', '/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/boot'];

/**
 * `-v SRC:DST[:ro|rw]`. The source must be an absolute host path that exists
 * (racker never creates it silently; named volumes are not supported).
 * A path containing ':' cannot be written in this syntax.
 */
export function parseVolume(spec: string): VolumeSpec {
  const parts = spec.split(':');
  let mode = 'rw';
  if (parts.length === 3) mode = parts.pop()!;
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new RackerError(`invalid volume '${spec.slice(0, 200)}'`, { hint: 'use -v /host/path:/container/path[:ro] (paths containing ":" cannot be mounted)' });
  }
  const [source, target] = parts;
  if (mode !== 'ro' && mode !== 'rw') throw new RackerError(`invalid volume mode '${mode}' in '${spec}'`, { hint: 'use ro or rw' });
  if (!source.startsWith('/')) {
    throw new RackerError(`volume source '${source}' is not an absolute path`, { hint: `named volumes are not supported; use an absolute host path, e.g. -v "$PWD/${source}:${target}"` });
  }
  if (!target.startsWith('/')) throw new RackerError(`volume target '${target}' is not an absolute path`, { hint: 'container paths start with /' });
  if (spec.includes('\0')) throw new RackerError('volume contains a NUL byte');
  const normTarget = path.posix.normalize(target).replace(/\/+$/, '') || '/';
  if (FORBIDDEN_TARGETS.includes(normTarget)) {
    throw new RackerError(`refusing to mount over ${normTarget} in the container`, { hint: 'mount into a subdirectory instead, e.g. /etc/myapp or /srv/data' });
  }
  return { source: path.resolve(source), target: normTarget, readOnly: mode === 'ro' };
}

export async function checkVolumeSource(v: VolumeSpec): Promise<void> {
  try {
    await stat(v.source);
  } catch {
    throw new RackerError(`volume source ${v.source} does not exist`, { hint: 'create it first; racker does not create host directories' });
  }
}
