import { lstat, open, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { RackerError, isErrno } from '../errors.js';
import { mkdirInRoot, resolveInRoot } from './rootfs-path.js';
import type { VolumeSpec } from '../model/mounts.js';

/** Container paths a bind mount may not cover: the container would not work, or the host would leak in. */
const FORBIDDEN_TARGETS = ['/', '/proc', '/sys', '/dev', '/run', '/etc', '/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/boot'];

/** A mount target inside the container: absolute, normalised, not one of the paths the container needs. */
export function checkVolumeTarget(target: string): string {
  if (!target.startsWith('/')) throw new RackerError(`volume target '${target.slice(0, 200)}' is not an absolute path`, { hint: 'container paths start with /' });
  if (target.includes('\0')) throw new RackerError('volume target contains a NUL byte');
  const normTarget = path.posix.normalize(target).replace(/\/+$/, '') || '/';
  if (FORBIDDEN_TARGETS.includes(normTarget)) {
    throw new RackerError(`refusing to mount over ${normTarget} in the container`, { hint: 'mount into a subdirectory instead, e.g. /etc/myapp or /srv/data' });
  }
  return normTarget;
}

export async function checkVolumeSource(v: VolumeSpec): Promise<void> {
  try {
    await stat(v.source);
  } catch {
    throw new RackerError(`volume source ${v.source} does not exist`, { hint: 'create it first; racker does not create host directories' });
  }
}

/**
 * The mount point for `v` in the rootfs, as docker makes it: a directory for a
 * directory source, an empty file (parents created) for anything else. The
 * path is resolved inside the root, and the file is created without following
 * a symlink, so nothing outside the rootfs is touched.
 */
export async function makeMountPoint(root: string, v: VolumeSpec): Promise<void> {
  const isDir = (await stat(v.source)).isDirectory();
  const target = await resolveInRoot(root, v.target);
  let st;
  try {
    st = await lstat(target);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  if (st && isDir && !st.isDirectory()) {
    throw new RackerError(`cannot mount directory ${v.source} on ${v.target}: the image has a file there`, { hint: 'choose another container path for the directory' });
  }
  if (st && !isDir && st.isDirectory()) {
    throw new RackerError(`cannot mount file ${v.source} on ${v.target}: the image has a directory there`, { hint: `name the file inside it, e.g. -v ${v.source}:${path.posix.join(v.target, path.basename(v.source))}` });
  }
  if (st) return;
  if (isDir) {
    await mkdirInRoot(root, v.target);
    return;
  }
  const dir = await mkdirInRoot(root, `/${path.relative(root, path.dirname(target))}`);
  const fh = await open(path.join(dir, path.basename(target)), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  await fh.close();
}
