import { open } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { isErrno } from '../errors.js';

/**
 * A container's /etc/hosts and /etc/resolv.conf live in racker's own
 * directory for the container (containers/<id>/hosts, resolv.conf) and are
 * bind-mounted over the container's, as docker does. racker changes them later
 * (a peer joins a network) by writing these files, never through a path inside
 * the running container: the container can swap its /etc for a symlink at any
 * moment, but it cannot touch racker's directory.
 */
export type EtcFile = 'hosts' | 'resolv.conf';

const TARGETS: Record<EtcFile, string> = { hosts: '/etc/hosts', 'resolv.conf': '/etc/resolv.conf' };

/**
 * Write one of the container's files in place (same inode: the bind mount
 * shows the new content at once). `create: false` changes a file only where
 * a run has made it, so a container that never ran gets none.
 */
export async function writeEtcFile(dir: string, name: EtcFile, content: string, opts: { create?: boolean } = {}): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_NOFOLLOW | (opts.create === false ? 0 : constants.O_CREAT);
  let fh;
  try {
    fh = await open(path.join(dir, name), flags, 0o644);
  } catch (err) {
    if (opts.create === false && isErrno(err, 'ENOENT')) return;
    throw err;
  }
  try {
    await fh.truncate(0);
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
}

/**
 * The binds that put them in place; before the user's -v binds, so that
 * `-v file:/etc/hosts` still wins as it does with docker. Read-write like
 * docker's: the container may edit its copy; racker rewrites it when peers change.
 */
export function etcBinds(dir: string): { source: string; target: string; readOnly: boolean }[] {
  return (Object.keys(TARGETS) as EtcFile[]).map(name => ({ source: path.join(dir, name), target: TARGETS[name], readOnly: false }));
}
