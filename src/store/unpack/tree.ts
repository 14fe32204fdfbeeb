import { chmodSync, lchownSync, lstatSync, lutimesSync, mkdirSync, readlinkSync, rmSync, unlinkSync, type Stats } from 'node:fs';
import { RackerError } from '../../errors.js';
import { run } from '../../process.js';
import { argChunks } from './batch.js';
import type { LowerHit, LowerView } from './lower-view.js';
import { MAX_DEPTH, show } from './names.js';
import { Hidden } from './whiteouts.js';
import { XattrQueue } from './xattrs.js';

/** like the kernel's limit on symlinks followed in one lookup */
const MAX_SYMLINK_HOPS = 40;

export interface PendingFifo { uid: number; gid: number; mode: number; mtime: number }

/**
 * The layer directory being written: which of its paths are known to be real
 * directories, what waits for the batched helpers, and how a path is reached
 * (through this layer's directories, or the lower layers' where it has none).
 */
export class LayerTree {
  /** paths verified (or made) to be real directories in dest; '' is dest itself */
  readonly knownDirs = new Set<string>(['']);
  /** directory mtimes, applied last (creating children changes them) */
  readonly dirTimes = new Map<string, number>();
  readonly hidden = new Hidden();
  readonly fifos = new Map<string, PendingFifo>();
  readonly xattrs = new XattrQueue();
  /** lower-layer file → its first copy here, so later hardlinks to it share that copy */
  readonly lowerCopies = new Map<string, string>();

  constructor(readonly dest: string, readonly lowers: LowerView) {}

  abs(rel: string): string {
    return rel ? `${this.dest}/${rel}` : this.dest;
  }

  /**
   * Clears the way for an entry at rel. Returns true when an existing
   * directory stays (a directory entry over a directory only updates it).
   */
  async prepare(rel: string, wantDir: boolean): Promise<boolean> {
    if (this.fifos.has(rel)) await this.flush();
    const st = lstatSync(this.abs(rel), { throwIfNoEntry: false });
    if (!st) return false;
    if (wantDir && st.isDirectory()) return true;
    // batched work may name paths below what goes away: finish it first
    await this.flush();
    if (st.isDirectory()) rmSync(this.abs(rel), { recursive: true });
    else unlinkSync(this.abs(rel));
    this.forget(rel);
    // a flattened unpack would have deleted whatever lower layers had here too
    this.hidden.whiteouts.add(rel);
    return false;
  }

  private forget(rel: string): void {
    const under = (k: string) => k === rel || k.startsWith(`${rel}/`);
    for (const set of [this.knownDirs, this.hidden.opaque, this.hidden.whiteouts]) for (const k of set) if (under(k)) set.delete(k);
    for (const k of this.dirTimes.keys()) if (under(k)) this.dirTimes.delete(k);
    for (const [k, v] of this.lowerCopies) if (under(v)) this.lowerCopies.delete(k);
  }

  /**
   * lstat of a recorded path, looking through real directories of dest only:
   * a later entry may have put a symlink where a directory was. 'blocked'
   * when an ancestor is not a directory (it hides everything below anyway).
   */
  statHere(rel: string): Stats | null | 'blocked' {
    const parts = rel.split('/');
    let cur = '';
    for (let i = 0; i < parts.length - 1; i++) {
      cur = i ? `${cur}/${parts[i]}` : parts[i];
      if (this.knownDirs.has(cur)) continue;
      const st = lstatSync(this.abs(cur), { throwIfNoEntry: false });
      if (!st) return null;
      if (!st.isDirectory()) return 'blocked';
      this.knownDirs.add(cur);
    }
    return lstatSync(this.abs(rel), { throwIfNoEntry: false }) ?? null;
  }

  /**
   * Walks a directory path through dest with lstat. Components missing here
   * are looked up in the lower layers: directories are created with their
   * metadata (create=true) and symlinks are followed inside the root, as a
   * flattened unpack would. A symlink or non-directory in dest is an error.
   * Returns the resolved components, or null when !create and the directory
   * does not exist in dest nor below.
   */
  async resolveDir(parts: readonly string[], subject: string, create: boolean): Promise<string[] | null> {
    const out: string[] = [];
    /** for each component of out: a directory in dest ('here'), one of a lower layer, or none yet (null) */
    const where: (LowerHit | 'here' | null)[] = [];
    const queue = [...parts];
    let hops = 0;
    while (queue.length) {
      const c = queue.shift() as string;
      if (c === '' || c === '.') continue;
      if (c === '..') { out.pop(); where.pop(); continue; } // only from lower-layer symlinks; stops at the root
      const parent = where.length ? where[where.length - 1] : 'here';
      out.push(c);
      if (out.length > MAX_DEPTH) throw new RackerError(`${subject} below more than ${MAX_DEPTH} directories`);
      if (parent === null) { where.push(null); continue; }
      const rel = out.join('/');
      if (parent === 'here') {
        if (this.knownDirs.has(rel)) { where.push('here'); continue; }
        const st = lstatSync(this.abs(rel), { throwIfNoEntry: false });
        if (st) {
          if (!st.isDirectory()) throw new RackerError(`${subject} through ${st.isSymbolicLink() ? 'symlink' : 'non-directory'} '${show(rel)}'`);
          this.knownDirs.add(rel);
          where.push('here');
          continue;
        }
        if (this.fifos.has(rel)) throw new RackerError(`${subject} through non-directory '${show(rel)}'`);
      }
      const lower = this.hidden.hides(out) ? null : await this.lowers.lookup(out);
      if (lower?.stat.isSymbolicLink()) {
        if (++hops > MAX_SYMLINK_HOPS) throw new RackerError(`${subject} through too many symlinks of lower layers, at '${show(rel)}'`);
        const target = readlinkSync(lower.abs);
        out.pop();
        if (target.startsWith('/')) { out.length = 0; where.length = 0; }
        queue.unshift(...target.split('/'));
        continue;
      }
      if (lower && !lower.stat.isDirectory()) throw new RackerError(`${subject} through '${show(rel)}', which a lower layer has as a non-directory`);
      if (!lower && !create) return null;
      where.push(lower);
    }
    // only now, once symlinks are resolved: create what the path needs
    if (create) for (let i = 0; i < out.length; i++) if (where[i] !== 'here') this.makeDir(out.slice(0, i + 1).join('/'), where[i] as LowerHit | null);
    return out;
  }

  /** A directory the layer needs but does not list: as the lower layers have it, else 0755 root:root. */
  private makeDir(rel: string, lower: LowerHit | null): void {
    const p = this.abs(rel);
    mkdirSync(p, 0o700);
    if (lower) {
      lchownSync(p, lower.stat.uid, lower.stat.gid);
      chmodSync(p, lower.stat.mode & 0o7777);
      this.dirTimes.set(rel, lower.stat.mtimeMs / 1000);
      this.xattrs.copyFrom(lower.abs, rel);
    } else {
      lchownSync(p, 0, 0);
      chmodSync(p, 0o755);
    }
    this.knownDirs.add(rel);
  }

  /** Runs the batched work: FIFOs, then xattrs. */
  async flush(): Promise<void> {
    if (this.fifos.size) {
      for (const chunk of argChunks([...this.fifos.keys()])) {
        await run('mkfifo', ['--', ...chunk], { cwd: this.dest, purpose: 'create FIFOs in the layer' });
      }
      for (const [rel, f] of this.fifos) {
        const p = this.abs(rel);
        lchownSync(p, f.uid, f.gid);
        chmodSync(p, f.mode);
        lutimesSync(p, f.mtime, f.mtime);
      }
      this.fifos.clear();
    }
    await this.xattrs.flush(this.dest);
  }
}
