import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/**
 * Builds tar archives byte by byte, so tests can craft entries that a normal
 * archiver refuses to write (`../x`, absolute hardlinks, whiteouts, devices).
 */
export type TarEntry =
  | { type: 'file'; name: string; body?: string | Buffer; mode?: number; uid?: number; gid?: number; mtime?: number; xattrs?: Record<string, string> }
  | { type: 'dir'; name: string; mode?: number; uid?: number; gid?: number; mtime?: number; xattrs?: Record<string, string> }
  | { type: 'symlink'; name: string; target: string; uid?: number; gid?: number; mtime?: number }
  | { type: 'hardlink'; name: string; target: string }
  | { type: 'char' | 'block'; name: string; major: number; minor: number; mode?: number }
  | { type: 'fifo'; name: string; mode?: number };

const TYPEFLAG = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' } as const;

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(fields: { name: string; mode: number; uid: number; gid: number; size: number; mtime: number;
  typeflag: string; linkname?: string; major?: number; minor?: number }): Buffer {
  const h = Buffer.alloc(512);
  h.write(fields.name, 0, 100, 'utf8');
  h.write(octal(fields.mode, 8), 100);
  h.write(octal(fields.uid, 8), 108);
  h.write(octal(fields.gid, 8), 116);
  h.write(octal(fields.size, 12), 124);
  h.write(octal(fields.mtime, 12), 136);
  h.write('        ', 148);
  h.write(fields.typeflag, 156);
  if (fields.linkname) h.write(fields.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write(octal(fields.major ?? 0, 8), 329);
  h.write(octal(fields.minor ?? 0, 8), 337);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148);
  return h;
}

function pad(buf: Buffer): Buffer {
  const rest = buf.length % 512;
  return rest === 0 ? buf : Buffer.concat([buf, Buffer.alloc(512 - rest)]);
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return `${len}${body}`;
}

export function buildTar(entries: TarEntry[], opts: { omitEnd?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const pax: string[] = [];
    const needLongName = Buffer.byteLength(e.name) > 100;
    const target = 'target' in e ? e.target : undefined;
    if (needLongName) pax.push(paxRecord('path', e.name));
    if (target && Buffer.byteLength(target) > 100) pax.push(paxRecord('linkpath', target));
    if ('xattrs' in e && e.xattrs) for (const [k, v] of Object.entries(e.xattrs)) pax.push(paxRecord(`SCHILY.xattr.${k}`, v));
    if (pax.length) {
      const body = Buffer.from(pax.join(''));
      parts.push(header({ name: 'PaxHeader', mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: 0, typeflag: 'x' }), pad(body));
    }
    const body = e.type === 'file' ? Buffer.from(e.body ?? '') : Buffer.alloc(0);
    const defaultMode = e.type === 'dir' ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644;
    parts.push(header({
      name: needLongName ? e.name.slice(0, 99) : e.name,
      mode: 'mode' in e && e.mode !== undefined ? e.mode : defaultMode,
      uid: 'uid' in e && e.uid !== undefined ? e.uid : 0,
      gid: 'gid' in e && e.gid !== undefined ? e.gid : 0,
      size: body.length,
      mtime: 'mtime' in e && e.mtime !== undefined ? e.mtime : 1700000000,
      typeflag: TYPEFLAG[e.type],
      linkname: target,
      major: 'major' in e ? e.major : undefined,
      minor: 'minor' in e ? e.minor : undefined,
    }));
    if (body.length) parts.push(pad(body));
  }
  if (!opts.omitEnd) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function sha256(buf: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(buf).digest('hex');
}

export interface BuiltLayer { tar: Buffer; gz: Buffer; diffId: string; digest: string }

export function buildLayer(entries: TarEntry[]): BuiltLayer {
  const tar = buildTar(entries);
  const gz = gzipSync(tar);
  return { tar, gz, diffId: sha256(tar), digest: sha256(gz) };
}
