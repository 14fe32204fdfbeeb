import type { Readable } from 'node:stream';

/**
 * Writes the outer tar of an image archive: regular files and directories
 * with names racker makes itself (blobs/sha256/HEX, manifest.json, …), as
 * ustar headers (sizes past 8 GiB in GNU base-256, as Go and GNU tar read them).
 */

const BLOCK = 512;

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** A name as ustar's prefix (up to 155 bytes) and name (up to 100) fields, split at a `/`. */
function splitName(name: string): [string, string] {
  if (Buffer.byteLength(name) <= 100) return ['', name];
  for (let i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) > 155) break;
    if (rest && Buffer.byteLength(rest) <= 100) return [prefix, rest];
  }
  throw new Error(`tar name too long: ${name}`);
}

export function tarHeader(name: string, kind: 'file' | 'dir', size: number, mtime: number, mode?: number, owner?: { uid?: number; gid?: number }): Buffer {
  const [prefix, rest] = splitName(name);
  const h = Buffer.alloc(BLOCK);
  h.write(rest, 0, 100, 'utf8');
  h.write(octal(mode ?? (kind === 'dir' ? 0o755 : 0o644), 8), 100);
  h.write(octal(owner?.uid ?? 0, 8), 108);
  h.write(octal(owner?.gid ?? 0, 8), 116);
  if (size < 0o77777777777) {
    h.write(octal(size, 12), 124);
  } else {
    // GNU base-256: marker bit, then the size big-endian in the remaining 11 bytes
    let v = BigInt(size);
    for (let i = 135; i > 124; i--) { h[i] = Number(v & 0xffn); v >>= 8n; }
    h[124] = 0x80;
  }
  h.write(octal(Math.floor(mtime), 12), 136);
  h.write('        ', 148);
  h.write(kind === 'dir' ? '5' : '0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  if (prefix) h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148);
  return h;
}

export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The two zero blocks that end an archive. */
export const TAR_END = Buffer.alloc(2 * BLOCK);

export type TarMember =
  | { name: string; kind: 'dir'; mode?: number; uid?: number; gid?: number }
  | { name: string; kind: 'file'; size: number; content: () => Readable | Buffer; mode?: number; uid?: number; gid?: number };

/** The archive as a stream of chunks; a file's content must have exactly its declared size. */
export async function* writeTar(members: Iterable<TarMember> | AsyncIterable<TarMember>, mtime = 0): AsyncGenerator<Buffer> {
  for await (const m of members) {
    if (m.kind === 'dir') { yield tarHeader(m.name.endsWith('/') ? m.name : `${m.name}/`, 'dir', 0, mtime, m.mode, m); continue; }
    yield tarHeader(m.name, 'file', m.size, mtime, m.mode, m);
    const content = m.content();
    let written = 0;
    if (Buffer.isBuffer(content)) {
      written = content.length;
      yield content;
    } else {
      for await (const chunk of content) {
        written += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    }
    if (written !== m.size) throw new Error(`${m.name}: wrote ${written} bytes, expected ${m.size}`);
    yield tarPadding(m.size);
  }
  yield TAR_END;
}
