import { createHash } from 'node:crypto';
import {
  chmodSync, closeSync, constants as fsc, copyFileSync, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync,
  lstatSync, lutimesSync, mkdirSync, openSync, readdirSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeSync,
  type Stats,
} from 'node:fs';
import path from 'node:path';
import type { Transform } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { RackerError, isErrno } from '../errors.js';
import { shown } from '../untrusted.js';
import { verbose } from '../log.js';
import { run } from '../process.js';
import { MEDIA } from '../image/oci.js';
import { readTar, tapChunks, type TarEntry, type TarEntryType } from '../image/tar-reader.js';

/**
 * Unpacks one layer archive into its own empty directory, in overlayfs
 * lower-layer format, so that containers stack the layer directories instead
 * of copying them:
 *
 * - an OCI whiteout `d/.wh.x` becomes a character device 0:0 at `d/x`, and an
 *   opaque marker `d/.wh..wh..opq` the xattr trusted.overlay.opaque=y on `d`;
 *   whiteouts only hide what lower layers have (an entry of this layer wins);
 * - a directory this layer needs but does not list is created with the
 *   metadata the lower layers give it, so the stacked view equals a flattened
 *   unpack (what `umoci unpack` produces);
 * - a parent that is a symlink *in this layer* is an error; one that is a
 *   symlink *in a lower layer* is followed the way a flattened unpack follows
 *   it, scoped to the root (`bin -> usr/bin` then `bin/foo` writes `usr/bin/foo`;
 *   `etc -> /host/dir` then `etc/f` writes `host/dir/f` inside the layer);
 * - device nodes are skipped (the container's /dev comes from the runtime);
 *   FIFOs are created;
 * - xattrs from the archive are applied except trusted.* (the host's overlayfs
 *   would honour trusted.overlay.*), security.selinux (host policy, as umoci
 *   does) and other system.* than POSIX ACLs; dropped ones are counted.
 *
 * Nothing is ever written through a symlink: the directory starts empty and
 * only we write in it, so every parent is checked with lstat once, and the
 * batched helpers (mknod, mkfifo, setfattr) run only on paths whose parents
 * are still those checked directories (pending work is flushed before any
 * entry is removed). Unpacking is bounded by the disk only; on any error the
 * caller removes the directory.
 */

export interface UnpackStats {
  /** sha256:<hex> of the whole uncompressed stream */
  diffId: string;
  /** bytes of the uncompressed stream */
  bytes: number;
  entries: number;
  skippedDevices: number;
  droppedXattrs: number;
}

export interface UnpackOptions {
  /** layer directories below this one, topmost first */
  lowerDirs?: string[];
  onBytes?: (n: number) => void;
}

const MAX_DEPTH = 512;
const MAX_NAME_BYTES = 4096;
/** like the kernel's limit on symlinks followed in one lookup */
const MAX_SYMLINK_HOPS = 40;
/** batch commands get at most this many bytes of paths each */
const MAX_ARG_BYTES = 64 * 1024;
const WHITEOUT = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const AUFS_META = '.wh..wh.';
const OPAQUE_XATTR = 'trusted.overlay.opaque';

export async function unpackLayer(tar: AsyncIterable<Buffer>, dest: string, opts: UnpackOptions = {}): Promise<UnpackStats> {
  const st = lstatSync(dest, { throwIfNoEntry: false });
  if (!st?.isDirectory()) throw new RackerError(`cannot unpack a layer into ${dest}: not a directory`);
  if (readdirSync(dest).length) throw new RackerError(`cannot unpack a layer into ${dest}: not empty`);
  const hash = createHash('sha256');
  let bytes = 0;
  const tapped = tapChunks(tar, chunk => {
    hash.update(chunk);
    bytes += chunk.length;
    opts.onBytes?.(chunk.length);
  });
  const writer = new LayerWriter(path.resolve(dest), new LowerView((opts.lowerDirs ?? []).map(d => path.resolve(d))));
  for await (const entry of readTar(tapped)) await writer.apply(entry);
  try {
    await writer.finish();
  } catch (err) {
    if (err instanceof RackerError) throw err;
    throw new RackerError(`cannot finish unpacking the layer: ${(err as Error).message}`, { cause: err });
  }
  return { diffId: `sha256:${hash.digest('hex')}`, bytes, entries: writer.entries, skippedDevices: writer.skippedDevices, droppedXattrs: writer.droppedXattrs };
}

/** gzip → a gunzip stream; plain tar → null (nothing to do); anything else is refused. */
export function decompressStream(mediaType: string): Transform | null {
  switch (mediaType) {
    case MEDIA.ociLayerGzip:
    case MEDIA.dockerLayerGzip:
    case MEDIA.ociLayerNondistGzip:
    case MEDIA.dockerForeignGzip:
      // let decompression (in the thread pool) run ahead while entries are written
      return createGunzip({ chunkSize: 64 * 1024, readableHighWaterMark: 1024 * 1024 } as ZlibOptions);
    case MEDIA.ociLayerTar:
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar':
    case 'application/vnd.docker.image.rootfs.diff.tar':
      return null;
    case MEDIA.ociLayerZstd:
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd':
      throw new RackerError(`layer compression zstd (${shown(mediaType)}) is not supported`, {
        hint: 'pull a gzip variant of the image, or convert it: skopeo copy --dest-compress-format=gzip …',
      });
    default:
      throw new RackerError(`unsupported layer media type ${shown(mediaType)}`, { hint: 'racker unpacks tar and tar+gzip layers' });
  }
}

/** For messages: control characters escaped, very long names cut. */
function show(name: string): string {
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

function isWhiteoutDevice(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** Splits paths into groups whose total length suits one command line. */
function argChunks(items: readonly string[]): string[][] {
  const chunks: string[][] = [];
  let cur: string[] = [];
  let size = 0;
  for (const it of items) {
    const n = Buffer.byteLength(it) + 1;
    if (cur.length && size + n > MAX_ARG_BYTES) { chunks.push(cur); cur = []; size = 0; }
    cur.push(it);
    size += n;
  }
  if (cur.length) chunks.push(cur);
  return chunks;
}

/** getfattr/setfattr escape path bytes as \ooo; we escape everything that could be mangled. */
function attrQuote(p: string): string {
  let out = '';
  for (const b of Buffer.from(p, 'utf8')) {
    out += b <= 0x20 || b === 0x5c || b === 0x7f ? `\\${b.toString(8).padStart(3, '0')}` : String.fromCharCode(b);
  }
  return out; // latin1: one char per byte
}

function attrUnquote(latin1: string): string {
  const raw = latin1.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return Buffer.from(raw, 'latin1').toString('utf8');
}

/** All xattrs of each path (not following symlinks), via one getfattr per batch. */
async function readXattrs(paths: readonly string[], matching = '-'): Promise<Map<string, Map<string, Buffer>>> {
  const found = new Map<string, Map<string, Buffer>>();
  for (const chunk of argChunks(paths)) {
    const r = await run('getfattr', ['-h', '-d', '-m', matching, '-e', 'hex', '--absolute-names', '--', ...chunk],
      { encoding: 'buffer', purpose: 'read extended attributes of lower layers' });
    let current: Map<string, Buffer> | undefined;
    for (const line of Buffer.from(r.stdout as Uint8Array).toString('latin1').split('\n')) {
      if (line.startsWith('# file: ')) {
        current = new Map();
        found.set(attrUnquote(line.slice(8)), current);
      } else if (line && current) {
        const eq = line.indexOf('=');
        const name = attrUnquote(eq < 0 ? line : line.slice(0, eq));
        const value = eq < 0 ? '' : line.slice(eq + 1);
        current.set(name, Buffer.from(value.startsWith('0x') ? value.slice(2) : '', 'hex'));
      }
    }
  }
  return found;
}

/** Which archive xattrs are written, by entry type; the rest are dropped and counted. */
function keepXattr(name: string, type: TarEntryType): boolean {
  if (!/^[\x21-\x7e]{1,255}$/.test(name) || name.includes('=') || name.includes('\\')) return false;
  if (name.startsWith('security.')) return name !== 'security.selinux' && name.length > 9;
  if (name.startsWith('user.')) return name.length > 5 && (type === 'file' || type === 'dir');
  if (name === 'system.posix_acl_access') return type === 'file' || type === 'dir';
  if (name === 'system.posix_acl_default') return type === 'dir';
  return false; // trusted.* (overlayfs honours trusted.overlay.*), system.nfs4_acl, unknown namespaces
}

interface LowerHit { abs: string; stat: Stats }
interface LowerStep { hit: LowerHit | null; dirs: number[] }

/** What the stacked lower layers show at a path, read the way overlayfs reads them. */
class LowerView {
  private readonly steps = new Map<string, LowerStep>();
  private readonly opaque = new Map<number, Promise<Set<string>>>();

  constructor(readonly layers: readonly string[]) {}

  /** The topmost visible entry at `parts`, or null (absent, whited out, or below a non-directory). */
  async lookup(parts: readonly string[]): Promise<LowerHit | null> {
    if (!this.layers.length || !parts.length) return null;
    let candidates = this.layers.map((_, i) => i);
    let rel = '';
    let step: LowerStep | undefined;
    for (let k = 0; k < parts.length; k++) {
      if (k > 0 && !step?.hit?.stat.isDirectory()) return null;
      rel = k ? `${rel}/${parts[k]}` : parts[k];
      step = this.steps.get(rel);
      if (!step) {
        step = await this.descend(candidates, rel);
        this.steps.set(rel, step);
      }
      candidates = step.dirs;
    }
    return step?.hit ?? null;
  }

  private async descend(candidates: readonly number[], rel: string): Promise<LowerStep> {
    let hit: LowerHit | null = null;
    const dirs: number[] = [];
    for (const i of candidates) {
      const abs = path.join(this.layers[i], rel);
      const stat = lstatSync(abs, { throwIfNoEntry: false });
      if (!stat) continue;
      if (isWhiteoutDevice(stat)) break;
      // only directories merge; anything else hides what lies below it
      if (!stat.isDirectory()) { hit ??= { abs, stat }; break; }
      if (dirs.length && await this.isOpaque(dirs[dirs.length - 1], rel)) break;
      hit ??= { abs, stat };
      dirs.push(i);
    }
    return { hit, dirs };
  }

  /** Opaque directories of a layer, read once with a single getfattr walk, only if ever needed. */
  private async isOpaque(layer: number, rel: string): Promise<boolean> {
    let set = this.opaque.get(layer);
    if (!set) {
      const root = this.layers[layer];
      set = run('getfattr', ['-R', '-h', '-d', '-m', '^trusted\\.overlay\\.opaque$', '-e', 'hex', '--absolute-names', '--', root],
        { encoding: 'buffer', purpose: 'read opaque directories of a lower layer' })
        .then(r => {
          const out = new Set<string>();
          let file: string | undefined;
          for (const line of Buffer.from(r.stdout as Uint8Array).toString('latin1').split('\n')) {
            if (line.startsWith('# file: ')) file = attrUnquote(line.slice(8));
            else if (file && line === `${OPAQUE_XATTR}=0x79`) out.add(path.relative(root, file));
          }
          return out;
        });
      this.opaque.set(layer, set);
    }
    return (await set).has(rel);
  }

  /** Every name the lower layers show at the top. */
  async rootNames(): Promise<string[]> {
    const names = new Set(this.layers.flatMap(l => readdirSync(l)));
    const shown: string[] = [];
    for (const n of names) if (await this.lookup([n])) shown.push(n);
    return shown;
  }
}

/** Xattrs waiting for one batched setfattr. */
class XattrQueue {
  private readonly explicit = new Map<string, Map<string, Buffer>>();
  /** dest path → the lower-layer path whose xattrs it takes */
  private readonly copies = new Map<string, string>();

  set(rel: string, name: string, value: Buffer): void {
    let m = this.explicit.get(rel);
    if (!m) this.explicit.set(rel, m = new Map());
    m.set(name, value);
  }

  copyFrom(lowerAbs: string, rel: string): void { this.copies.set(rel, lowerAbs); }

  cancel(rel: string): void { this.explicit.delete(rel); this.copies.delete(rel); }

  async flush(dest: string): Promise<void> {
    const records = new Map<string, Map<string, Buffer>>();
    if (this.copies.size) {
      const found = await readXattrs([...new Set(this.copies.values())]);
      for (const [rel, from] of this.copies) {
        const attrs = [...found.get(from) ?? []].filter(([n]) => keepXattr(n, 'dir'));
        if (attrs.length) records.set(rel, new Map(attrs));
      }
    }
    for (const [rel, attrs] of this.explicit) records.set(rel, new Map([...records.get(rel) ?? [], ...attrs]));
    this.copies.clear();
    this.explicit.clear();
    if (!records.size) return;
    let text = '';
    for (const [rel, attrs] of records) {
      text += `# file: ${attrQuote(rel || '.')}\n`;
      for (const [n, v] of attrs) text += `${n}=0x${v.toString('hex')}\n`;
      text += '\n';
    }
    await run('setfattr', ['-h', '--restore=-'], { cwd: dest, input: Buffer.from(text, 'latin1'), purpose: 'set extended attributes in the layer' });
  }
}

interface PendingFifo { uid: number; gid: number; mode: number; mtime: number }

class LayerWriter {
  entries = 0;
  skippedDevices = 0;
  droppedXattrs = 0;
  private readonly droppedNames = new Set<string>();
  /** paths verified (or made) to be real directories in dest; '' is dest itself */
  private readonly knownDirs = new Set<string>(['']);
  /** directory mtimes, applied last (creating children changes them) */
  private readonly dirTimes = new Map<string, number>();
  /** paths whose lower-layer content this layer deletes */
  private readonly whiteouts = new Set<string>();
  /** directories whose lower-layer content this layer hides */
  private readonly opaque = new Set<string>();
  private readonly fifos = new Map<string, PendingFifo>();
  private readonly xattrs = new XattrQueue();
  /** lower-layer file → its first copy here, so later hardlinks to it share that copy */
  private readonly lowerCopies = new Map<string, string>();

  constructor(private readonly dest: string, private readonly lowers: LowerView) {}

  private abs(rel: string): string {
    return rel ? `${this.dest}/${rel}` : this.dest;
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
    const parent = this.knownDirs.has(parentParts.join('/')) ? parentParts
      : await this.resolveDir(parentParts, `layer entry '${show(e.name)}' would be written`, true) as string[];
    const rel = [...parent, base].join('/');
    if (e.type === 'hardlink') return this.hardlink(e, rel);
    // a FIFO still waiting for mkfifo must exist before anything can replace it
    if (this.fifos.has(rel)) await this.flush();
    const p = this.abs(rel);
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
        this.knownDirs.add(rel);
        this.dirTimes.set(rel, e.mtime);
        this.xattrs.cancel(rel);
        break;
      case 'symlink':
        if (!e.linkname) throw new RackerError(`layer entry '${show(e.name)}' is a symlink with an empty target`);
        if (e.linkname.includes('\0')) throw new RackerError(`layer entry '${show(e.name)}' is a symlink whose target contains a NUL byte`);
        await this.create(rel, false, () => symlinkSync(e.linkname, p));
        lchownSync(p, e.uid, e.gid);
        lutimesSync(p, e.mtime, e.mtime);
        break;
      case 'fifo':
        await this.prepare(rel, false);
        this.fifos.set(rel, { uid: e.uid, gid: e.gid, mode: e.mode, mtime: e.mtime });
        break;
    }
    this.queueXattrs(rel, e);
  }

  private applyRoot(e: TarEntry): void {
    if (e.type !== 'dir') {
      throw new RackerError('refusing to change the type of the root', { hint: `layer entry '${show(e.name)}' is a ${e.type}; the image is malformed or hostile` });
    }
    lchownSync(this.dest, e.uid, e.gid);
    chmodSync(this.dest, e.mode);
    this.dirTimes.set('', e.mtime);
    this.xattrs.cancel('');
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
    if (await this.prepare(rel, keepDir)) return undefined;
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
      if (keepXattr(name, e.type)) this.xattrs.set(rel, name, value);
      else { this.droppedXattrs++; this.droppedNames.add(name); }
    }
  }

  /**
   * Clears the way for an entry at rel. Returns true when an existing
   * directory stays (a directory entry over a directory only updates it).
   */
  private async prepare(rel: string, wantDir: boolean): Promise<boolean> {
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
    this.whiteouts.add(rel);
    return false;
  }

  private forget(rel: string): void {
    const under = (k: string) => k === rel || k.startsWith(`${rel}/`);
    for (const set of [this.knownDirs, this.opaque, this.whiteouts]) for (const k of set) if (under(k)) set.delete(k);
    for (const k of this.dirTimes.keys()) if (under(k)) this.dirTimes.delete(k);
    for (const [k, v] of this.lowerCopies) if (under(v)) this.lowerCopies.delete(k);
  }

  /**
   * lstat of a recorded path, looking through real directories of dest only:
   * a later entry may have put a symlink where a directory was. 'blocked'
   * when an ancestor is not a directory (it hides everything below anyway).
   */
  private statHere(rel: string): Stats | null | 'blocked' {
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

  /** True when this layer hides what lower layers have at parts (deleted it, or made an ancestor opaque). */
  private hiddenHere(parts: readonly string[], includeSelf = true): boolean {
    if (this.opaque.has('')) return true;
    let rel = '';
    for (let i = 0; i < parts.length; i++) {
      rel = i ? `${rel}/${parts[i]}` : parts[i];
      const self = i === parts.length - 1;
      if ((includeSelf || !self) && this.whiteouts.has(rel)) return true;
      if (!self && this.opaque.has(rel)) return true;
    }
    return false;
  }

  /**
   * Walks a directory path through dest with lstat. Components missing here
   * are looked up in the lower layers: directories are created with their
   * metadata (create=true) and symlinks are followed inside the root, as a
   * flattened unpack would. A symlink or non-directory in dest is an error.
   * Returns the resolved components, or null when !create and the directory
   * does not exist in dest nor below.
   */
  private async resolveDir(parts: readonly string[], subject: string, create: boolean): Promise<string[] | null> {
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
      const lower = this.hiddenHere(out) ? null : await this.lowers.lookup(out);
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

  private async hardlink(e: TarEntry, rel: string): Promise<void> {
    const name = show(e.name);
    const tparts = normaliseName(e.linkname, `layer entry '${name}' is a hardlink to '${show(e.linkname)}', which`);
    if (!tparts.length) throw new RackerError(`layer entry '${name}' is a hardlink to the root directory`);
    const subject = `hardlink '${name}' would be resolved`;
    const tdir = await this.resolveDir(tparts.slice(0, -1), subject, false);
    const notFound = () => new RackerError(`layer entry '${name}' is a hardlink to '${show(e.linkname)}', which does not exist`);
    if (!tdir) throw notFound();
    const trel = [...tdir, tparts[tparts.length - 1]].join('/');
    if (trel === rel) throw new RackerError(`layer entry '${name}' is a hardlink to itself`);
    if (this.fifos.has(trel)) await this.flush();
    let tst = lstatSync(this.abs(trel), { throwIfNoEntry: false });
    const lower = tst || this.hiddenHere(trel.split('/')) ? null : await this.lowers.lookup(trel.split('/'));
    if (!tst && !lower) throw notFound();
    if ((tst ?? lower?.stat)?.isDirectory()) throw new RackerError(`layer entry '${name}' is a hardlink to directory '${show(e.linkname)}'`);
    await this.prepare(rel, false);
    if (tst) {
      // prepare() may have removed the target (when it lay below rel)
      tst = lstatSync(this.abs(trel), { throwIfNoEntry: false });
      if (!tst) throw notFound();
      linkSync(this.abs(trel), this.abs(rel));
      return;
    }
    const hit = lower as LowerHit;
    const prior = this.lowerCopies.get(hit.abs);
    if (prior !== undefined && lstatSync(this.abs(prior), { throwIfNoEntry: false })) {
      linkSync(this.abs(prior), this.abs(rel));
      return;
    }
    this.copyFromLower(hit, rel, name);
    this.lowerCopies.set(hit.abs, rel);
  }

  /** A hardlink cannot reach into another layer: copy the file (content and metadata) instead. */
  private copyFromLower(hit: LowerHit, rel: string, name: string): void {
    const p = this.abs(rel);
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
    this.xattrs.copyFrom(hit.abs, rel);
  }

  private async recordWhiteout(name: string, parts: string[]): Promise<void> {
    const base = parts[parts.length - 1];
    const subject = `whiteout '${show(name)}' would be applied`;
    if (base === OPAQUE_MARKER) {
      const dir = await this.resolveDir(parts.slice(0, -1), subject, true) as string[];
      this.opaque.add(dir.join('/'));
      return;
    }
    const target = base.slice(WHITEOUT.length);
    if (target === '' || target === '.' || target === '..') throw new RackerError(`invalid whiteout name '${show(name)}'`);
    const dir = await this.resolveDir(parts.slice(0, -1), subject, false);
    // a directory that exists nowhere has nothing to hide
    if (dir) this.whiteouts.add([...dir, target].join('/'));
  }

  /** Runs the batched work: FIFOs, then xattrs. */
  private async flush(): Promise<void> {
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

  /**
   * Whiteouts are character devices 0:0. Node cannot mknod: make one with
   * mknod(1) and hardlink the rest to it (overlayfs shares one whiteout inode
   * the same way), so a layer with thousands of whiteouts costs one process.
   */
  private async makeWhiteouts(rels: readonly string[]): Promise<void> {
    let device: string | undefined;
    for (const rel of rels) {
      if (device !== undefined) {
        try {
          linkSync(this.abs(device), this.abs(rel));
          continue;
        } catch (err) {
          if (!isErrno(err, 'EMLINK')) throw err;
        }
      }
      await run('mknod', ['--', rel, 'c', '0', '0'], { cwd: this.dest, purpose: 'create a whiteout in the layer' });
      device = rel;
    }
  }

  async finish(): Promise<void> {
    await this.flush();
    // an opaque root: hide each name the lower layers show at the top
    if (this.opaque.delete('')) for (const n of await this.lowers.rootNames()) this.whiteouts.add(n);
    const devices: string[] = [];
    for (const rel of this.whiteouts) {
      const st = this.statHere(rel);
      if (st === 'blocked') continue;
      if (st) {
        // this layer has the path: it wins; as a directory it must not show the deleted lower content
        if (st.isDirectory()) this.opaque.add(rel);
        continue;
      }
      const parts = rel.split('/');
      if (this.hiddenHere(parts, false) || !await this.lowers.lookup(parts)) continue;
      await this.resolveDir(parts.slice(0, -1), `whiteout of '${show(rel)}' would be applied`, true);
      devices.push(rel);
    }
    await this.makeWhiteouts(devices);
    for (const rel of this.opaque) {
      const st = this.statHere(rel);
      if (st !== 'blocked' && st?.isDirectory()) this.xattrs.set(rel, OPAQUE_XATTR, Buffer.from('y'));
    }
    await this.xattrs.flush(this.dest);
    for (const [rel, t] of this.dirTimes) lutimesSync(this.abs(rel), t, t);
    if (this.skippedDevices) {
      verbose(`skipped ${this.skippedDevices} device node(s) in the layer: racker does not create devices from images (the container's /dev comes from systemd-nspawn)`);
    }
    if (this.droppedXattrs) {
      verbose(`dropped ${this.droppedXattrs} extended attribute(s) the host must not honour or cannot set: ${[...this.droppedNames].slice(0, 5).map(show).join(', ')}`);
    }
  }
}
