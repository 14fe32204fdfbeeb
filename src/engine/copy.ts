import { spawn, type ChildProcess } from 'node:child_process';
import { constants, createReadStream } from 'node:fs';
import { chmod, lchown, link, lstat, mkdir, open, readdir, stat, symlink, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EXIT, RackerError, isErrno } from '../errors.js';
import { readTar, type TarEntry } from '../image/tar-reader.js';
import { writeTar, type TarMember } from '../image/tar-writer.js';
import type { ContainerRecord } from '../model/container.js';
import { DEFAULT_PATH } from '../runtime/command-lookup.js';
import { confinedCommand, encodedEnv } from '../runtime/exec/confine.js';
import { containerLeader } from '../runtime/host.js';
import { shown } from '../untrusted.js';

/**
 * racker cp (docs/lifecycle.md, "cp"). The container is the attacker: its
 * side of a copy never happens on the host. A confined tar runs inside the
 * container (runtime/exec/confine.ts, as exec) and only its archive crosses:
 * out of the container it is read by the strict tar reader and written under
 * the user's destination without following anything the archive made; into
 * the container it is racker's own archive of the user's files.
 */
export interface CopyOptions {
  /** keep uid/gid (docker's -a) */
  archive?: boolean;
  /** follow symbolic links in the source (docker's -L) */
  followLink?: boolean;
}

/** docker cp's exit code for a failed copy */
const CP_FAILED = 1;

async function leaderOf(rec: ContainerRecord): Promise<number> {
  const leader = rec.state.status === 'running' && rec.state.nspawnPid ? await containerLeader(rec.state.nspawnPid) : undefined;
  if (!leader) throw new RackerError(`racker cp needs the container running: ${rec.name} is not`, { hint: `start it first (racker cp does not copy from stopped containers yet)` });
  return leader;
}

/** A path inside the container: absolute, normalised; `contents` for docker's trailing `/.`. */
export function containerPath(p: string): { full: string; dir: string; base: string; contents: boolean } {
  if (p === '' || p.includes('\0')) throw new RackerError(`cp: bad path in the container: ${shown(p)}`);
  const full = path.posix.normalize(path.posix.join('/', p)).replace(/(.)\/+$/, '$1');
  const contents = p.endsWith('/.') || p === '.' || full === '/';
  if (contents) return { full, dir: full, base: '.', contents };
  return { full, dir: path.posix.dirname(full), base: path.posix.basename(full), contents };
}

/** A tar started confined inside the container, with PATH only. */
function tarIn(rec: ContainerRecord, leader: number, argv: string[], stdin: 'pipe' | 'ignore', stdout: 'pipe' | 'ignore'): { child: ChildProcess; done: Promise<void> } {
  const c = confinedCommand({ leader, spec: rec.spec, envEncoded: true }, argv);
  const child = spawn(c.cmd, c.args, { env: encodedEnv([['PATH', DEFAULT_PATH]]), stdio: [stdin, stdout, 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { if (stderr.length < 4096) stderr += d.toString('utf8'); });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', code => {
      if (code === 0) return resolve();
      const line = stderr.trim().split('\n').find(l => l.trim()) ?? '';
      if (code === EXIT.NOT_FOUND || code === EXIT.CANNOT_INVOKE) {
        return reject(new RackerError(`cp: container ${rec.name} has no usable tar (${shown(line)})`, {
          exitCode: EXIT.CANNOT_INVOKE, hint: 'racker cp runs tar inside the container; use an image with tar (busybox has it) or a volume',
        }));
      }
      if (code === EXIT.RACKER) return reject(new RackerError(`cp: ${shown(line.replace(/^racker: /, '')) || 'cannot run tar in the container'}`));
      reject(new RackerError(`cp: in container ${rec.name}: ${shown(line) || `tar exited ${code}`}`, { exitCode: CP_FAILED }));
    });
  });
  return { child, done };
}

/** Copy `src` out of the running container to the host path `dest`, or as a tar to `out` when dest is `-`. */
export async function copyOut(rec: ContainerRecord, src: string, dest: string, out: Writable, opts: CopyOptions = {}): Promise<void> {
  const leader = await leaderOf(rec);
  const from = containerPath(src);
  const argv = ['tar', '-c', ...(opts.followLink ? ['-h'] : []), '-f', '-', '-C', from.dir, '--', from.base];
  const { child, done } = tarIn(rec, leader, argv, 'ignore', 'pipe');
  const stdout = child.stdout as Readable;
  // a failure to start or the tar's own failure say more than the half-read archive
  done.catch(() => undefined);
  try {
    if (dest === '-') {
      // the archive as the container made it, checked entry by entry as it passes
      const passed = tap(stdout, out);
      for await (const e of readTar(passed)) { entryPath(e.name, from.base); await drain(e); }
    } else {
      await writeEntries(readTar(stdout), from, dest, opts);
    }
  } catch (err) {
    // a tar that failed by itself says why the archive is short; one racker stopped has nothing more to say
    child.kill('SIGKILL');
    const own = await done.then(() => undefined, (e: unknown) => e);
    if (own && child.signalCode === null) throw own;
    // the reader's own words are about layers: say whose archive it was
    if (err instanceof RackerError && /^(truncated|corrupt) tar/.test(err.message)) {
      throw new RackerError(`cp: the archive from container ${rec.name} is not valid: ${err.message}`, { exitCode: CP_FAILED });
    }
    throw err;
  }
  await done;
}

async function* tap(source: Readable, out: Writable): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    const b = chunk as Buffer;
    if (!out.write(b)) await new Promise(r => out.once('drain', r));
    yield b;
  }
}

async function drain(e: TarEntry): Promise<void> {
  for await (const _ of e.body()) { /* skipped */ }
}

/** An archive name as components under the copied top (`base`): no absolute names, no `..`, nothing else at the top. */
export function entryPath(name: string, base: string): string[] {
  const parts = name.split('/').filter(p => p !== '');
  if (name.startsWith('/') || parts.some(p => p === '..') || parts.length === 0) {
    throw new RackerError(`cp: the container sent an unsafe name ${shown(name)}`, { exitCode: CP_FAILED });
  }
  const rest = base === '.' ? parts.filter((p, i) => !(i === 0 && p === '.')) : parts;
  if (base !== '.' && rest.shift() !== base) throw new RackerError(`cp: the container sent ${shown(name)}, not under ${shown(base)}`, { exitCode: CP_FAILED });
  if (rest.includes('.')) throw new RackerError(`cp: the container sent an unsafe name ${shown(name)}`, { exitCode: CP_FAILED });
  return rest;
}

async function lstatOrUndefined(p: string) {
  try { return await lstat(p); } catch (err) { if (isErrno(err, 'ENOENT')) return undefined; throw err; }
}

async function statOrUndefined(p: string) {
  try { return await stat(p); } catch (err) { if (isErrno(err, 'ENOENT')) return undefined; throw err; }
}

/**
 * The archive's entries under the user's `dest` with docker's rules (an
 * existing directory receives the source by its name; otherwise dest becomes
 * the source). Nothing the archive made is followed: every parent must be a
 * real directory, files open with O_NOFOLLOW, links may only point inside the
 * copied tree, devices and fifos are refused.
 */
async function writeEntries(entries: AsyncIterable<TarEntry>, from: { base: string; contents: boolean; full: string }, dest: string, opts: CopyOptions): Promise<void> {
  const destStat = await statOrUndefined(dest);
  const target = destStat?.isDirectory() && !from.contents ? path.join(dest, from.base) : dest;
  if (!destStat && !(await statOrUndefined(path.dirname(path.resolve(dest))))?.isDirectory()) {
    throw new RackerError(`cp: no such directory: ${shown(path.dirname(dest))}`, { exitCode: CP_FAILED });
  }
  const written = new Set<string>();
  const dirModes: [string, number][] = [];
  const modeMask = opts.archive ? 0o7777 : 0o1777;
  for await (const e of entries) {
    const rest = entryPath(e.name, from.base);
    const host = path.join(target, ...rest);
    // every parent the archive can have made is a real directory, not a link
    for (let i = 1; i < rest.length; i++) {
      const st = await lstat(path.join(target, ...rest.slice(0, i)));
      if (!st.isDirectory()) throw new RackerError(`cp: ${shown(e.name)} lies under something that is not a directory`, { exitCode: CP_FAILED });
    }
    const top = rest.length === 0;
    const existing = top ? await statOrUndefined(host) : await lstatOrUndefined(host);
    if (e.type === 'dir') {
      if (existing && !existing.isDirectory()) throw new RackerError(`cp: cannot copy a directory onto the file ${shown(host)}`, { exitCode: CP_FAILED });
      if (!existing) await mkdir(host, { mode: 0o700 });
      dirModes.push([host, e.mode & modeMask]);
      if (opts.archive) await lchown(host, e.uid, e.gid);
      continue;
    }
    if (top && dest.endsWith('/') && !destStat) throw new RackerError(`cp: no such directory: ${shown(dest)}`, { exitCode: CP_FAILED });
    if (existing?.isDirectory()) throw new RackerError(`cp: cannot copy a file onto the directory ${shown(host)}`, { exitCode: CP_FAILED });
    if (existing && !top) await unlink(host);
    if (e.type === 'file') {
      const fh: FileHandle = await open(host, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (top ? 0 : constants.O_NOFOLLOW), 0o600);
      try {
        // plain writes to the handle: a stream over it with autoClose off never settled under Node 18
        for await (const chunk of e.body()) {
          for (let off = 0; off < chunk.length;) off += (await fh.write(chunk, off)).bytesWritten;
        }
        if (opts.archive) await fh.chown(e.uid, e.gid);
        await fh.chmod(e.mode & modeMask);
      } finally {
        await fh.close();
      }
      written.add(host);
    } else if (e.type === 'symlink') {
      // where the link resolves, from the copied tree's top; the top itself sits in the destination's directory, outside
      const inside = path.posix.normalize(path.posix.join(rest.length ? ['.', ...rest.slice(0, -1)].join('/') : '..', e.linkname));
      if (e.linkname.startsWith('/') || inside === '..' || inside.startsWith('../')) {
        throw new RackerError(`cp: ${shown(e.name)} is a link pointing out of the copied tree (${shown(e.linkname)})`, { exitCode: CP_FAILED, hint: 'copy what it points to, or use -L' });
      }
      if (top && existing) await unlink(host);
      await symlink(e.linkname, host);
      if (opts.archive) await lchown(host, e.uid, e.gid);
    } else if (e.type === 'hardlink') {
      const to = path.join(target, ...entryPath(e.linkname, from.base));
      if (!written.has(to)) throw new RackerError(`cp: ${shown(e.name)} links to ${shown(e.linkname)}, not a file of this copy`, { exitCode: CP_FAILED });
      await link(to, host);
    } else {
      throw new RackerError(`cp: ${shown(e.name)} is a ${e.type} device or fifo; racker cp copies files, directories and links`, { exitCode: CP_FAILED });
    }
  }
  for (const [dir, mode] of dirModes.reverse()) await chmod(dir, mode);
}

/** Copy the host path `src` (or a tar on `input` when src is `-`) into the running container at `dest`. */
export async function copyIn(rec: ContainerRecord, src: string, dest: string, input: Readable, opts: CopyOptions = {}): Promise<void> {
  const leader = await leaderOf(rec);
  const to = containerPath(dest);
  if (src === '-') return extract(rec, leader, to.full, Readable.from(input));
  const st = await (opts.followLink ? stat(src) : lstat(src)).catch(err => {
    if (isErrno(err, 'ENOENT')) throw new RackerError(`cp: no such file or directory: ${shown(src)}`, { exitCode: CP_FAILED });
    throw err;
  });
  if (!st.isDirectory() && !st.isFile()) throw new RackerError(`cp: ${shown(src)} is neither a file nor a directory`, { exitCode: CP_FAILED, hint: 'racker cp copies regular files and directories into containers' });
  const contents = src.endsWith('/.') && st.isDirectory();
  // an existing directory receives the source by its name; otherwise dest becomes the source (asked inside the container)
  const isDir = to.full === '/' || (await probeDir(rec, leader, to.full));
  if (!isDir && dest.endsWith('/') && !st.isDirectory()) throw new RackerError(`cp: no such directory in container ${rec.name}: ${shown(dest)}`, { exitCode: CP_FAILED });
  const dir = isDir ? to.full : path.posix.dirname(to.full);
  const top = isDir ? (contents ? '.' : path.basename(path.resolve(src))) : path.posix.basename(to.full);
  const members = hostMembers(src, top, opts.archive ?? false, st);
  await extract(rec, leader, dir, Readable.from(writeTar(members, Math.floor(st.mtimeMs / 1000))));
}

async function probeDir(rec: ContainerRecord, leader: number, p: string): Promise<boolean> {
  const c = confinedCommand({ leader, spec: rec.spec, envEncoded: true }, ['test', '-d', p]);
  const child = spawn(c.cmd, c.args, { env: encodedEnv([['PATH', DEFAULT_PATH]]), stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve, reject) => { child.on('error', reject); child.on('close', resolve); });
  if (code === EXIT.NOT_FOUND || code === EXIT.CANNOT_INVOKE || code === EXIT.RACKER) {
    throw new RackerError(`cp: cannot look at ${shown(p)} in container ${rec.name} (it has no usable test)`, { exitCode: EXIT.CANNOT_INVOKE, hint: 'racker cp runs test and tar inside the container; use an image with them (busybox has them)' });
  }
  return code === 0;
}

async function extract(rec: ContainerRecord, leader: number, dir: string, archive: Readable): Promise<void> {
  const { child, done } = tarIn(rec, leader, ['tar', '-x', '-f', '-', '-C', dir], 'pipe', 'ignore');
  const fed = pipeline(archive, child.stdin as Writable).catch((err: unknown) => err);
  await done;
  const err = await fed;
  if (err) throw err;
}

/** The user's file or tree as tar members named under `top`; links inside a tree are refused (not copied into containers yet). */
async function* hostMembers(src: string, top: string, archive: boolean, st: import('node:fs').Stats): AsyncGenerator<TarMember> {
  const owner = (s: { uid: number; gid: number }) => (archive ? { uid: s.uid, gid: s.gid } : {});
  if (st.isFile()) {
    yield { name: top, kind: 'file', size: st.size, mode: st.mode & 0o7777, content: () => createReadStream(src), ...owner(st) };
    return;
  }
  yield { name: top, kind: 'dir', mode: st.mode & 0o7777, ...owner(st) };
  for (const name of (await readdir(src)).sort()) {
    const full = path.join(src, name);
    const s = await lstat(full);
    const inner = top === '.' ? name : `${top}/${name}`;
    if (s.isDirectory() || s.isFile()) yield* hostMembers(full, inner, archive, s);
    else throw new RackerError(`cp: ${shown(full)} is neither a file nor a directory`, { exitCode: CP_FAILED, hint: 'racker cp copies regular files and directories into containers' });
  }
}
