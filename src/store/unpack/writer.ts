import {
  chmodSync, closeSync, constants as fsc, copyFileSync, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync,
  lstatSync, lutimesSync, mkdirSync, openSync, readlinkSync, symlinkSync, writeSync,
} from 'node:fs';
import { RackerError, isErrno } from '../../errors.js';
import { verbose } from '../../log.js';
import type { TarEntry } from '../../image/tar-reader.js';
import type { LowerHit, LowerView } from './lower-view.js';
import { normaliseName, show } from './names.js';
import { LayerTree } from './tree.js';
import { AUFS_META, makeWhiteoutDevices, OPAQUE_MARKER, WHITEOUT } from './whiteouts.js';
import { keepXattr, OPAQUE_XATTR } from './xattrs.js';

/** Writes each archive entry into the layer by its type, then the whiteouts, xattrs and times at the end. */
export class LayerWriter {
  entries = 0;
  skippedDevices = 0;
  droppedXattrs = 0;
  private readonly droppedNames = new Set<string>();
  private readonly tree: LayerTree;

  constructor(dest: string, lowers: LowerView) {
    this.tree = new LayerTree(dest, lowers);
  }

  async apply(e: TarEntry): Promise<void> {
    this.entries++;
    try {
      await this.applyEntry(e);
    } catch (err) {
      if (err instanceof RackerError) throw err;
      throw new RackerError(`cannot unpack layer entry '${show(e.name)}': ${(err as Error).message}`, { cause: err });
    }
  }

  private async applyEntry(e: TarEntry): Promise<void> {
    const t = this.tree;
    const parts = normaliseName(e.name);
    if (!parts.length) return this.applyRoot(e);
    const base = parts[parts.length - 1];
    if (parts.some((p, i) => p.startsWith(AUFS_META) && !(i === parts.length - 1 && p === OPAQUE_MARKER))) {
      verbose(`skipping AUFS metadata entry ${show(e.name)}`);
      return;
    }
    if (base.startsWith(WHITEOUT)) return this.recordWhiteout(e.name, parts);
    if (e.type === 'char' || e.type === 'block') { this.skippedDevices++; return; }

    const parentParts = parts.slice(0, -1);
    const parent = t.knownDirs.has(parentParts.join('/')) ? parentParts
      : await t.resolveDir(parentParts, `layer entry '${show(e.name)}' would be written`, true) as string[];
    const rel = [...parent, base].join('/');
    if (e.type === 'hardlink') return this.hardlink(e, rel);
    // a FIFO still waiting for mkfifo must exist before anything can replace it
    if (t.fifos.has(rel)) await t.flush();
    const p = t.abs(rel);
    switch (e.type) {
      case 'file': {
        const fd = await this.create(rel, false, () => openSync(p, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600));
        await this.writeFile(fd as number, e);
        break;
      }
      case 'dir':
        await this.create(rel, true, () => mkdirSync(p, 0o700));
        lchownSync(p, e.uid, e.gid);
        chmodSync(p, e.mode);
        t.knownDirs.add(rel);
        t.dirTimes.set(rel, e.mtime);
        t.xattrs.cancel(rel);
        break;
      case 'symlink':
        if (!e.linkname) throw new RackerError(`layer entry '${show(e.name)}' is a symlink with an empty target`);
        if (e.linkname.includes('\0')) throw new RackerError(`layer entry '${show(e.name)}' is a symlink whose target contains a NUL byte`);
        await this.create(rel, false, () => symlinkSync(e.linkname, p));
        lchownSync(p, e.uid, e.gid);
        lutimesSync(p, e.mtime, e.mtime);
        break;
      case 'fifo':
        await t.prepare(rel, false);
        t.fifos.set(rel, { uid: e.uid, gid: e.gid, mode: e.mode, mtime: e.mtime });
        break;
    }
    this.queueXattrs(rel, e);
  }

  private applyRoot(e: TarEntry): void {
    if (e.type !== 'dir') {
      throw new RackerError('refusing to change the type of the root', { hint: `layer entry '${show(e.name)}' is a ${e.type}; the image is malformed or hostile` });
    }
    lchownSync(this.tree.dest, e.uid, e.gid);
    chmodSync(this.tree.dest, e.mode);
    this.tree.dirTimes.set('', e.mtime);
    this.tree.xattrs.cancel('');
    this.queueXattrs('', e);
  }

  /**
   * Runs `make`, which creates rel exclusively; when something is there
   * already, clears the way and runs it again. Trying first saves an lstat
   * per entry, as replacing is rare. Returns undefined when an existing
   * directory stays (a directory entry over a directory only updates it).
   */
  private async create<T>(rel: string, keepDir: boolean, make: () => T): Promise<T | undefined> {
    try {
      return make();
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
    }
    if (await this.tree.prepare(rel, keepDir)) return undefined;
    return make();
  }

  private async writeFile(fd: number, e: TarEntry): Promise<void> {
    try {
      for await (const chunk of e.body()) {
        for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off, chunk.length - off);
      }
      fchownSync(fd, e.uid, e.gid);
      fchmodSync(fd, e.mode); // after chown, which clears setuid/setgid
      futimesSync(fd, e.mtime, e.mtime);
    } finally {
      closeSync(fd);
    }
  }

  private queueXattrs(rel: string, e: TarEntry): void {
    for (const [name, value] of e.xattrs) {
      if (keepXattr(name, e.type)) this.tree.xattrs.set(rel, name, value);
      else { this.droppedXattrs++; this.droppedNames.add(name); }
    }
  }

  private async hardlink(e: TarEntry, rel: string): Promise<void> {
    const t = this.tree;
    const name = show(e.name);
    const tparts = normaliseName(e.linkname, `layer entry '${name}' is a hardlink to '${show(e.linkname)}', which`);
    if (!tparts.length) throw new RackerError(`layer entry '${name}' is a hardlink to the root directory`);
    const subject = `hardlink '${name}' would be resolved`;
    const tdir = await t.resolveDir(tparts.slice(0, -1), subject, false);
    const notFound = () => new RackerError(`layer entry '${name}' is a hardlink to '${show(e.linkname)}', which does not exist`);
    if (!tdir) throw notFound();
    const trel = [...tdir, tparts[tparts.length - 1]].join('/');
    if (trel === rel) throw new RackerError(`layer entry '${name}' is a hardlink to itself`);
    if (t.fifos.has(trel)) await t.flush();
    let tst = lstatSync(t.abs(trel), { throwIfNoEntry: false });
    const lower = tst || t.hidden.hides(trel.split('/')) ? null : await t.lowers.lookup(trel.split('/'));
    if (!tst && !lower) throw notFound();
    if ((tst ?? lower?.stat)?.isDirectory()) throw new RackerError(`layer entry '${name}' is a hardlink to directory '${show(e.linkname)}'`);
    await t.prepare(rel, false);
    if (tst) {
      // prepare() may have removed the target (when it lay below rel)
      tst = lstatSync(t.abs(trel), { throwIfNoEntry: false });
      if (!tst) throw notFound();
      linkSync(t.abs(trel), t.abs(rel));
      return;
    }
    const hit = lower as LowerHit;
    const prior = t.lowerCopies.get(hit.abs);
    if (prior !== undefined && lstatSync(t.abs(prior), { throwIfNoEntry: false })) {
      linkSync(t.abs(prior), t.abs(rel));
      return;
    }
    this.copyFromLower(hit, rel, name);
    t.lowerCopies.set(hit.abs, rel);
  }

  /** A hardlink cannot reach into another layer: copy the file (content and metadata) instead. */
  private copyFromLower(hit: LowerHit, rel: string, name: string): void {
    const p = this.tree.abs(rel);
    const { stat } = hit;
    if (stat.isFile()) {
      copyFileSync(hit.abs, p, fsc.COPYFILE_EXCL);
      lchownSync(p, stat.uid, stat.gid);
      chmodSync(p, stat.mode & 0o7777);
      lutimesSync(p, stat.mtimeMs / 1000, stat.mtimeMs / 1000);
    } else if (stat.isSymbolicLink()) {
      symlinkSync(readlinkSync(hit.abs), p);
      lchownSync(p, stat.uid, stat.gid);
      lutimesSync(p, stat.mtimeMs / 1000, stat.mtimeMs / 1000);
      return;
    } else {
      throw new RackerError(`layer entry '${name}' is a hardlink to a special file of a lower layer`);
    }
    this.tree.xattrs.copyFrom(hit.abs, rel);
  }

  private async recordWhiteout(name: string, parts: string[]): Promise<void> {
    const t = this.tree;
    const base = parts[parts.length - 1];
    const subject = `whiteout '${show(name)}' would be applied`;
    if (base === OPAQUE_MARKER) {
      const dir = await t.resolveDir(parts.slice(0, -1), subject, true) as string[];
      t.hidden.opaque.add(dir.join('/'));
      return;
    }
    const target = base.slice(WHITEOUT.length);
    if (target === '' || target === '.' || target === '..') throw new RackerError(`invalid whiteout name '${show(name)}'`);
    const dir = await t.resolveDir(parts.slice(0, -1), subject, false);
    // a directory that exists nowhere has nothing to hide
    if (dir) t.hidden.whiteouts.add([...dir, target].join('/'));
  }

  async finish(): Promise<void> {
    const t = this.tree;
    const { whiteouts, opaque } = t.hidden;
    await t.flush();
    // an opaque root: hide each name the lower layers show at the top
    if (opaque.delete('')) for (const n of await t.lowers.rootNames()) whiteouts.add(n);
    const devices: string[] = [];
    for (const rel of whiteouts) {
      const st = t.statHere(rel);
      if (st === 'blocked') continue;
      if (st) {
        // this layer has the path: it wins; as a directory it must not show the deleted lower content
        if (st.isDirectory()) opaque.add(rel);
        continue;
      }
      const parts = rel.split('/');
      if (t.hidden.hides(parts, false) || !await t.lowers.lookup(parts)) continue;
      await t.resolveDir(parts.slice(0, -1), `whiteout of '${show(rel)}' would be applied`, true);
      devices.push(rel);
    }
    await makeWhiteoutDevices(t.dest, devices);
    for (const rel of opaque) {
      const st = t.statHere(rel);
      if (st !== 'blocked' && st?.isDirectory()) t.xattrs.set(rel, OPAQUE_XATTR, Buffer.from('y'));
    }
    await t.xattrs.flush(t.dest);
    for (const [rel, time] of t.dirTimes) lutimesSync(t.abs(rel), time, time);
    if (this.skippedDevices) {
      verbose(`skipped ${this.skippedDevices} device node(s) in the layer: racker does not create devices from images (the container's /dev comes from systemd-nspawn)`);
    }
    if (this.droppedXattrs) {
      verbose(`dropped ${this.droppedXattrs} extended attribute(s) the host must not honour or cannot set: ${[...this.droppedNames].slice(0, 5).map(show).join(', ')}`);
    }
  }
}
