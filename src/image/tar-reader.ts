import { isUtf8 } from 'node:buffer';
import { RackerError } from '../errors.js';

/**
 * A strict streaming tar reader (ustar, GNU and pax), written for layer
 * unpacking: it hands over every entry exactly as the archive describes it
 * and refuses what it does not understand, where general-purpose unpackers
 * silently drop or rewrite entries.
 */

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarEntry {
  /** as stored: not normalised, may be absolute or contain `..` */
  name: string;
  type: TarEntryType;
  /** permission bits only (0o7777) */
  mode: number;
  uid: number;
  gid: number;
  /** bytes of content; always 0 for types other than 'file' */
  size: number;
  /** seconds since the epoch, fractional when a pax header says so */
  mtime: number;
  /** hardlink or symlink target, as stored */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** from pax SCHILY.xattr.* (and LIBARCHIVE.xattr.*) records */
  xattrs: Map<string, Buffer>;
  /** offset of the entry's header in the stream, for messages */
  offset: number;
  /**
   * The content, as slices of the incoming chunks (not copies). Read it fully,
   * or not at all, before asking for the next entry; what is left is skipped.
   */
  body(): AsyncIterable<Buffer>;
}

const BLOCK = 512;
/** pax and GNU long-name records larger than this are refused (they are read into memory). */
const MAX_META_BYTES = 1024 * 1024;
const EMPTY = Buffer.alloc(0);

const TYPES: Record<string, TarEntryType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};
const UNSUPPORTED: Record<string, string> = {
  S: 'GNU sparse file', M: 'GNU multi-volume continuation', V: 'GNU volume label', D: 'GNU dump directory', N: 'GNU old long name',
};

export function truncatedError(): RackerError {
  return new RackerError('truncated tar archive', { hint: 'the layer is incomplete or corrupt; try the pull again' });
}

function corrupt(offset: number, detail?: string): RackerError {
  return new RackerError(`corrupt tar header at offset ${offset}${detail ? ` (${detail})` : ''}`, { hint: 'the layer is not a valid tar archive' });
}

/** Pulls exact byte counts out of a chunked source, slicing instead of copying where it can. */
class ByteReader {
  private readonly it: AsyncIterator<Buffer>;
  private chunk: Buffer = EMPTY;
  private pos = 0;
  private ended = false;
  /** bytes handed out or skipped so far */
  offset = 0;

  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** Makes at least one unread byte available; false at the end of the input. */
  private async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      if (this.ended) return false;
      const r = await this.it.next();
      if (r.done) { this.ended = true; this.chunk = EMPTY; this.pos = 0; return false; }
      const v = r.value as Buffer | Uint8Array;
      this.chunk = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      this.pos = 0;
    }
    return true;
  }

  /** Exactly n bytes, or null when the input ends before the first of them. */
  async read(n: number): Promise<Buffer | null> {
    if (this.pos + n <= this.chunk.length) {
      const out = this.chunk.subarray(this.pos, this.pos + n);
      this.pos += n;
      this.offset += n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      if (!await this.fill()) {
        if (got === 0) return null;
        throw truncatedError();
      }
      const take = Math.min(n - got, this.chunk.length - this.pos);
      this.chunk.copy(out, got, this.pos, this.pos + take);
      this.pos += take;
      got += take;
    }
    this.offset += n;
    return out;
  }

  /** Between 1 and max bytes from the current chunk; throws at the end of the input. */
  async readSome(max: number): Promise<Buffer> {
    if (!await this.fill()) throw truncatedError();
    const take = Math.min(max, this.chunk.length - this.pos);
    const out = this.chunk.subarray(this.pos, this.pos + take);
    this.pos += take;
    this.offset += take;
    return out;
  }

  async skip(n: number): Promise<void> {
    while (n > 0) {
      if (!await this.fill()) throw truncatedError();
      const take = Math.min(n, this.chunk.length - this.pos);
      this.pos += take;
      this.offset += take;
      n -= take;
    }
  }

  /** Reads the input to its end (whoever tapped the source sees every byte). */
  async drain(): Promise<void> {
    this.offset += this.chunk.length - this.pos;
    this.chunk = EMPTY;
    this.pos = 0;
    while (!this.ended) {
      const r = await this.it.next();
      if (r.done) this.ended = true;
      else this.offset += (r.value as Buffer).length;
    }
  }

  async abandon(): Promise<void> {
    if (!this.ended) { this.ended = true; await this.it.return?.(); }
  }
}

function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

/** Bytes up to the first NUL of a field, as UTF-8 (refused when not valid UTF-8). */
function text(b: Buffer, start: number, len: number, what: string, offset: number): string {
  let end = start;
  const limit = start + len;
  while (end < limit && b[end] !== 0) end++;
  return utf8(b.subarray(start, end), what, offset);
}

function utf8(bytes: Buffer, what: string, offset: number): string {
  if (!isUtf8(bytes)) {
    throw new RackerError(`tar ${what} at offset ${offset} is not valid UTF-8`, { hint: 'racker only unpacks layers whose file names are UTF-8' });
  }
  return bytes.toString('utf8');
}

/** A numeric header field: octal text, or GNU base-256 when the high bit of the first byte is set. */
function numeric(b: Buffer, start: number, len: number, what: string, offset: number, allowNegative = false): number {
  const first = b[start];
  if (first & 0x80) {
    // two's complement in the bits after the marker bit
    const negative = (first & 0x40) !== 0;
    if (negative && !allowNegative) throw corrupt(offset, `negative ${what}`);
    let value = 0;
    for (let i = 0; i < len; i++) {
      let byte = i === 0 ? first & 0x7f : b[start + i];
      if (negative) byte ^= i === 0 ? 0x7f : 0xff;
      value = value * 256 + byte;
      if (value > Number.MAX_SAFE_INTEGER) throw corrupt(offset, `${what} out of range`);
    }
    return negative ? -value - 1 : value;
  }
  let i = start;
  let end = start + len;
  // fields are padded with NULs or spaces on either side, depending on the writer
  while (i < end && (b[i] === 0x20 || b[i] === 0)) i++;
  while (end > i && (b[end - 1] === 0x20 || b[end - 1] === 0)) end--;
  let value = 0;
  for (; i < end; i++) {
    const d = b[i] - 0x30;
    if (d < 0 || d > 7) throw corrupt(offset, `invalid ${what}`);
    value = value * 8 + d;
  }
  if (value > Number.MAX_SAFE_INTEGER) throw corrupt(offset, `${what} out of range`);
  return value;
}

function verifyChecksum(b: Buffer, offset: number): void {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : b[i];
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  let stored: number;
  try { stored = numeric(b, 148, 8, 'checksum', offset); } catch { throw corrupt(offset); }
  // historic writers summed signed bytes; accept both like GNU tar does
  if (stored !== unsigned && stored !== signed) throw corrupt(offset);
}

/** Parses "<len> <key>=<value>\n" records; values stay bytes (xattr values are binary). */
function parsePax(body: Buffer, into: Map<string, Buffer>, offset: number): void {
  let pos = 0;
  while (pos < body.length) {
    if (body[pos] === 0) break; // some writers pad the record block with NULs
    const space = body.indexOf(0x20, pos);
    if (space < 0 || space - pos > 20) throw corrupt(offset, 'bad pax record');
    const lenText = body.toString('latin1', pos, space);
    if (!/^[1-9]\d*$/.test(lenText)) throw corrupt(offset, 'bad pax record length');
    const end = pos + Number(lenText);
    if (end > body.length || body[end - 1] !== 0x0a) throw corrupt(offset, 'bad pax record length');
    const eq = body.indexOf(0x3d, space + 1);
    if (eq < 0 || eq >= end - 1 || eq === space + 1) throw corrupt(offset, 'bad pax record');
    const key = utf8(body.subarray(space + 1, eq), 'pax key', offset);
    into.set(key, body.subarray(eq + 1, end - 1));
    pos = end;
  }
}

function paxInteger(v: Buffer, key: string, offset: number): number {
  const s = v.toString('latin1');
  if (!/^\d{1,16}$/.test(s) || Number(s) > Number.MAX_SAFE_INTEGER) throw corrupt(offset, `bad pax ${key}`);
  return Number(s);
}

function paxText(v: Buffer, key: string, offset: number): string {
  if (v.includes(0)) throw new RackerError(`tar pax ${key} at offset ${offset} contains a NUL byte`);
  return utf8(v, `pax ${key}`, offset);
}

/** LIBARCHIVE.xattr.<name> keys are URL-encoded, their values base64. */
function libarchiveXattrName(encoded: string): string | undefined {
  try { return decodeURIComponent(encoded); } catch { return undefined; }
}

interface PendingMeta { pax: Map<string, Buffer>; longName?: string; longLink?: string }

interface BodyState { remaining: number; padding: number; closed: boolean }

export async function* readTar(source: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const input = new ByteReader(source);
  const globalPax = new Map<string, Buffer>();
  let meta: PendingMeta = { pax: new Map() };
  let current: BodyState | undefined;
  let finished = false;

  const readMeta = async (size: number, offset: number): Promise<Buffer> => {
    if (size > MAX_META_BYTES) throw new RackerError(`tar extended header at offset ${offset} is larger than ${MAX_META_BYTES} bytes`, { hint: 'the layer is not a valid tar archive' });
    const body = size === 0 ? EMPTY : await input.read(size);
    if (!body) throw truncatedError();
    await input.skip((BLOCK - (size % BLOCK)) % BLOCK);
    // copy: the slice points into a chunk we are about to move past
    return Buffer.from(body);
  };

  try {
    for (;;) {
      if (current) {
        current.closed = true;
        await input.skip(current.remaining + current.padding);
        current = undefined;
      }
      const offset = input.offset;
      const block = await input.read(BLOCK);
      if (!block) throw truncatedError();
      if (isZeroBlock(block)) {
        const second = await input.read(BLOCK);
        if (second && !isZeroBlock(second)) throw corrupt(offset + BLOCK, 'a lone zero block before more entries');
        if (meta.pax.size || meta.longName !== undefined || meta.longLink !== undefined) throw corrupt(offset, 'extended header without an entry');
        await input.drain();
        finished = true;
        return;
      }
      verifyChecksum(block, offset);
      const flag = String.fromCharCode(block[156]);
      const headerSize = numeric(block, 124, 12, 'size', offset);

      if (flag === 'x' || flag === 'g') {
        const body = await readMeta(headerSize, offset);
        if (flag === 'x') { parsePax(body, meta.pax, offset); continue; }
        const g = new Map<string, Buffer>();
        parsePax(body, g, offset);
        for (const [k, v] of g) { if (v.length) globalPax.set(k, v); else globalPax.delete(k); }
        continue;
      }
      if (flag === 'L' || flag === 'K') {
        const body = await readMeta(headerSize, offset);
        const nul = body.indexOf(0);
        const value = utf8(nul < 0 ? body : body.subarray(0, nul), flag === 'L' ? 'long name' : 'long link name', offset);
        if (flag === 'L') meta.longName = value; else meta.longLink = value;
        continue;
      }
      let type = TYPES[flag];
      if (!type) {
        const what = UNSUPPORTED[flag] ?? `entry type '${/^[\x21-\x7e]$/.test(flag) ? flag : `\\x${block[156].toString(16)}`}'`;
        throw new RackerError(`unsupported tar entry at offset ${offset}: ${what}`, { hint: 'racker unpacks regular files, directories, links, devices and FIFOs only' });
      }

      const magic = block.toString('latin1', 257, 263);
      const posix = magic === 'ustar\0';
      const hasDevices = posix || magic === 'ustar ';
      let name = text(block, 0, 100, 'entry name', offset);
      if (posix) {
        // star puts a trailer at 508, shortening the prefix
        const prefixLen = block.toString('latin1', 508, 512) === 'tar\0' ? 131 : 155;
        const prefix = text(block, 345, prefixLen, 'entry name', offset);
        if (prefix) name = `${prefix}/${name}`;
      }
      let linkname = text(block, 157, 100, 'link name', offset);
      let size = headerSize;
      let uid = numeric(block, 108, 8, 'uid', offset);
      let gid = numeric(block, 116, 8, 'gid', offset);
      let mtime = numeric(block, 136, 12, 'mtime', offset, true);
      const mode = numeric(block, 100, 8, 'mode', offset) & 0o7777;
      const devmajor = hasDevices ? numeric(block, 329, 8, 'devmajor', offset) : 0;
      const devminor = hasDevices ? numeric(block, 337, 8, 'devminor', offset) : 0;
      if (meta.longName !== undefined) name = meta.longName;
      if (meta.longLink !== undefined) linkname = meta.longLink;

      const pax = globalPax.size ? new Map(globalPax) : meta.pax;
      if (pax !== meta.pax) for (const [k, v] of meta.pax) pax.set(k, v);
      const xattrs = new Map<string, Buffer>();
      const libarchive = new Map<string, Buffer>();
      for (const [key, value] of pax) {
        if (value.length === 0) continue; // an empty value cancels a global record: the header field applies
        if (key === 'path') name = paxText(value, key, offset);
        else if (key === 'linkpath') linkname = paxText(value, key, offset);
        else if (key === 'size') size = paxInteger(value, key, offset);
        else if (key === 'uid') uid = paxInteger(value, key, offset);
        else if (key === 'gid') gid = paxInteger(value, key, offset);
        else if (key === 'mtime') {
          const s = value.toString('latin1');
          if (!/^-?\d{1,16}(\.\d*)?$/.test(s)) throw corrupt(offset, 'bad pax mtime');
          mtime = Number(s);
        } else if (key.startsWith('SCHILY.xattr.') && key.length > 13) xattrs.set(key.slice(13), value);
        else if (key.startsWith('LIBARCHIVE.xattr.') && key.length > 17) {
          const n = libarchiveXattrName(key.slice(17));
          if (n) libarchive.set(n, Buffer.from(value.toString('latin1'), 'base64'));
        } else if (key.startsWith('GNU.sparse.')) {
          throw new RackerError(`unsupported tar entry at offset ${offset}: GNU sparse file (pax)`, { hint: 'racker unpacks regular files, directories, links, devices and FIFOs only' });
        }
      }
      for (const [k, v] of libarchive) if (!xattrs.has(k)) xattrs.set(k, v);
      meta = { pax: new Map() };

      // V7 archives mark directories with a trailing slash only
      if (flag === '\0' && name.endsWith('/')) type = 'dir';
      // only regular files carry data; other types' size fields are ignored, as Go's archive/tar does
      const dataSize = type === 'file' ? size : 0;
      const state: BodyState = { remaining: dataSize, padding: (BLOCK - (dataSize % BLOCK)) % BLOCK, closed: false };
      current = state;

      let bodyTaken = false;
      const body = async function* (): AsyncGenerator<Buffer> {
        if (bodyTaken || state.closed) throw new Error(`tar entry '${name}': body read twice or after moving on`);
        bodyTaken = true;
        while (state.remaining > 0) {
          const chunk = await input.readSome(state.remaining);
          state.remaining -= chunk.length;
          yield chunk;
        }
      };
      yield { name, type, mode, uid, gid, size: dataSize, mtime, linkname, devmajor, devminor, xattrs, offset, body };
    }
  } finally {
    if (!finished) await input.abandon();
  }
}

/** Passes chunks through unchanged, showing each to `observe` first (hashing, counting). */
export async function* tapChunks(source: AsyncIterable<Buffer>, observe: (chunk: Buffer) => void): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    observe(chunk);
    yield chunk;
  }
}
