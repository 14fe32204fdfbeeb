import { lstat, readFile } from 'node:fs/promises';
import { RackerError } from '../errors.js';
import { shown } from '../untrusted.js';
import { resolveInRoot } from './rootfs-path.js';

interface PasswdEntry { name: string; uid: number; gid: number }

/** Read a small regular file inside the rootfs; anything else (FIFO, device, link out) reads as absent. */
async function readSmallFileInRoot(root: string, p: string): Promise<string | undefined> {
  const file = await resolveInRoot(root, p);
  const st = await lstat(file).catch(() => undefined);
  if (!st?.isFile() || st.size > 4 * 1024 * 1024) return undefined;
  return readFile(file, 'utf8');
}

function parsePasswd(text: string): PasswdEntry[] {
  return text.split('\n').flatMap(line => {
    const f = line.split(':');
    if (f.length < 4 || !f[0] || f[0].startsWith('#')) return [];
    return [{ name: f[0], uid: Number(f[2]), gid: Number(f[3]) }];
  });
}

/**
 * Turn docker's `-u user[:group]` into systemd-nspawn's `--user=NAME`.
 * nspawn switches user by asking the image's own getent, so the user must be
 * in the image's user database and the image must ship getent; say so clearly
 * instead of failing inside nspawn with "Failed to resolve user".
 */
export async function resolveUser(root: string, spec: string | undefined): Promise<string | undefined> {
  if (!spec) return undefined;
  const [user, group] = spec.split(':');
  if (!user || spec.split(':').length > 2) throw new RackerError(`invalid user '${shown(spec)}'`, { hint: 'use -u NAME, -u UID, or NAME:GROUP' });
  if ((user === 'root' || user === '0') && (!group || group === '0' || group === 'root')) return undefined;
  const entries = parsePasswd(await readSmallFileInRoot(root, '/etc/passwd') ?? '');
  const entry = /^\d+$/.test(user) ? entries.find(e => e.uid === Number(user)) : entries.find(e => e.name === user);
  if (!entry) {
    throw new RackerError(`unable to find user ${shown(user)}: no matching entries in the image's /etc/passwd`, { hint: 'systemd-nspawn can only switch to users the image knows; add the user to the image' });
  }
  if (group && group !== String(entry.gid)) {
    const groups = (await readSmallFileInRoot(root, '/etc/group') ?? '').split('\n').map(l => l.split(':'));
    const g = groups.find(f => f[0] === group);
    if (!g || Number(g[2]) !== entry.gid) {
      throw new RackerError(`group ${shown(group)} is not the primary group of ${shown(entry.name)}`, { hint: 'systemd-nspawn runs the command with the user\'s own primary group; drop ":GROUP"' });
    }
  }
  const hasGetent = (await Promise.all(['/usr/bin/getent', '/bin/getent'].map(p =>
    resolveInRoot(root, p).then(f => lstat(f)).then(st => st.isFile(), () => false)))).some(Boolean);
  if (!hasGetent) {
    throw new RackerError(`cannot switch to user ${shown(entry.name)}: the image has no getent`, { hint: 'systemd-nspawn resolves users with the image\'s getent; run as root or use an image that ships getent (glibc or musl-utils)' });
  }
  return entry.name;
}

/**
 * Numeric ids for a process racker starts in a running container (exec,
 * health checks): a name from the image's /etc/passwd, or uid[:gid] as given;
 * `groups` are the user's supplementary groups from /etc/group, as the
 * container's payload gets them (nspawn's --user initialises them too).
 */
export async function lookupIds(root: string, spec: string): Promise<{ uid: number; gid: number; groups: number[] }> {
  const [user, group] = spec.split(':');
  const entries = parsePasswd(await readSmallFileInRoot(root, '/etc/passwd') ?? '');
  const entry = /^\d+$/.test(user) ? entries.find(e => e.uid === Number(user)) : entries.find(e => e.name === user);
  if (!entry && !/^\d+$/.test(user)) throw new RackerError(`unable to find user ${shown(user)}: no matching entries in the image's /etc/passwd`);
  const uid = entry?.uid ?? Number(user);
  let gid = entry?.gid ?? uid;
  const groupLines = (await readSmallFileInRoot(root, '/etc/group') ?? '').split('\n').map(l => l.split(':'));
  if (group !== undefined) {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const g = groupLines.find(f => f[0] === group);
      if (!g) throw new RackerError(`unable to find group ${shown(group)} in the image's /etc/group`);
      gid = Number(g[2]);
    }
  }
  const groups = entry ? groupLines.filter(f => f.length >= 4 && f[3].split(',').includes(entry.name)).map(f => Number(f[2])) : [];
  const valid = (n: number) => Number.isSafeInteger(n) && n >= 0 && n < 0xffffffff;
  if (!valid(uid) || !valid(gid)) throw new RackerError(`invalid user '${shown(spec)}'`, { hint: 'use -u NAME, -u UID, or UID:GID' });
  return { uid, gid, groups: [...new Set(groups.filter(n => valid(n) && n !== gid))] };
}
