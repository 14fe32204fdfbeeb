import { lstat, readlink, mkdir, open, unlink, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { RackerError, isErrno } from '../errors.js';
import { shown } from '../untrusted.js';

const MAX_LINKS = 40;

/**
 * Resolve `p` as the container would see it, with `root` as "/": absolute
 * symlinks restart at root, `..` never climbs above root. The result always
 * lies under root. Missing trailing components are kept as they are, so the
 * result can be used to create them. Nothing else writes into the tree while
 * this runs (the container has not started), so lstat-walking is sound.
 */
export async function resolveInRoot(root: string, p: string, opts: { followFinal?: boolean } = {}): Promise<string> {
  const followFinal = opts.followFinal ?? true;
  const pending = p.split('/').filter(c => c !== '' && c !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length) {
    const comp = pending.shift()!;
    if (comp === '..') { done.pop(); continue; }
    const here = path.join(root, ...done, comp);
    let st;
    try {
      st = await lstat(here);
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) {
        // missing: the rest cannot be a symlink, apply it lexically (never above root)
        for (const c of [comp, ...pending]) {
          if (c === '..') done.pop();
          else done.push(c);
        }
        return path.join(root, ...done);
      }
      throw err;
    }
    if (st.isSymbolicLink() && (pending.length > 0 || followFinal)) {
      if (++links > MAX_LINKS) throw new RackerError(`too many levels of symbolic links resolving ${shown(p)} in the image`);
      const target = await readlink(here);
      if (target.startsWith('/')) done.length = 0;
      pending.unshift(...target.split('/').filter(c => c !== '' && c !== '.'));
      continue;
    }
    done.push(comp);
  }
  return path.join(root, ...done);
}

/** mkdir -p inside the rootfs, resolving every component inside it. */
export async function mkdirInRoot(root: string, p: string, mode = 0o755): Promise<string> {
  const target = await resolveInRoot(root, p);
  let st;
  try {
    st = await lstat(target);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  if (st?.isDirectory()) return target;
  if (st) throw new RackerError(`${shown(p)} exists in the image and is not a directory`);
  const parent = path.dirname(target);
  if (parent !== root && parent.startsWith(root)) await mkdirInRoot(root, path.relative(root, parent), mode);
  await mkdir(target, { mode }).catch(err => { if (!isErrno(err, 'EEXIST')) throw err; });
  return target;
}

/**
 * Replace the file at `p` (inside root) with `content`. If the image has a
 * symlink, FIFO or anything else there, it is removed, never followed or opened:
 * only the link itself goes, in the container's writable layer.
 */
export async function writeFileInRoot(root: string, p: string, content: string, mode = 0o644): Promise<void> {
  const dir = await mkdirInRoot(root, path.posix.dirname(p));
  const file = path.join(dir, path.posix.basename(p));
  let st;
  try {
    st = await lstat(file);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  if (st?.isDirectory()) await rm(file, { recursive: true });
  else if (st) await unlink(file);
  const fh = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
}
