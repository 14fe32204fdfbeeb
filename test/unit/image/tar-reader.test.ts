import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readTar, tapChunks, type TarEntry } from '../../../src/image/tar-reader.js';
import { buildTar } from '../../helpers/tar-builder.js';

/** Feeds a buffer in chunks of `size` bytes (0: one chunk). */
async function* chunks(buf: Buffer, size = 0): AsyncGenerator<Buffer> {
  if (!size) { yield buf; return; }
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

type Read = Omit<TarEntry, 'body' | 'xattrs' | 'offset'> & { content: string; xattrs: Record<string, string> };

async function readAll(buf: Buffer, size = 0): Promise<Read[]> {
  const out: Read[] = [];
  for await (const e of readTar(chunks(buf, size))) {
    const parts: Buffer[] = [];
    for await (const c of e.body()) parts.push(Buffer.from(c));
    const { body: _b, xattrs, offset: _o, ...rest } = e;
    out.push({ ...rest, content: Buffer.concat(parts).toString('latin1'), xattrs: Object.fromEntries([...xattrs].map(([k, v]) => [k, v.toString('latin1')])) });
  }
  return out;
}

/** One raw 512-byte header with a valid checksum, for what the builder cannot express. */
function rawHeader(f: { name?: string | Buffer; typeflag?: string; size?: number | Buffer; uid?: number | Buffer; mtime?: Buffer;
  magic?: 'posix' | 'gnu' | 'v7'; prefix?: string; linkname?: string; mode?: number; checksum?: 'bad' }): Buffer {
  const h = Buffer.alloc(512);
  (typeof f.name === 'string' ? Buffer.from(f.name) : f.name ?? Buffer.from('x')).copy(h, 0);
  h.write((f.mode ?? 0o644).toString(8).padStart(7, '0') + '\0', 100, 'latin1');
  if (Buffer.isBuffer(f.uid)) f.uid.copy(h, 108); else h.write((f.uid ?? 0).toString(8).padStart(7, '0') + '\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  if (Buffer.isBuffer(f.size)) f.size.copy(h, 124); else h.write((f.size ?? 0).toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  if (f.mtime) f.mtime.copy(h, 136); else h.write('14524117400\0', 136, 'latin1');
  h.write(f.typeflag ?? '0', 156, 'latin1');
  if (f.linkname) h.write(f.linkname, 157);
  if (f.magic === 'gnu') h.write('ustar  \0', 257, 'latin1');
  else if (f.magic !== 'v7') h.write('ustar\x0000', 257, 'latin1');
  if (f.prefix) h.write(f.prefix, 345);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  if (f.checksum === 'bad') sum += 1;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return h;
}

function padded(body: Buffer): Buffer {
  return Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}

function paxRecord(key: string, value: string | Buffer): Buffer {
  const v = Buffer.from(value);
  const rest = Buffer.byteLength(` ${key}=`) + v.length + 1;
  let len = rest + 1;
  while (String(len).length + rest !== len) len = String(len).length + rest;
  return Buffer.concat([Buffer.from(`${len} ${key}=`), v, Buffer.from('\n')]);
}

function paxHeader(records: Buffer[], typeflag: 'x' | 'g' = 'x'): Buffer {
  const body = Buffer.concat(records);
  return Buffer.concat([rawHeader({ name: 'PaxHeaders/x', typeflag, size: body.length }), padded(body)]);
}

function file(name: string, body: string, extra: Parameters<typeof rawHeader>[0] = {}): Buffer {
  return Buffer.concat([rawHeader({ name, size: body.length, ...extra }), padded(Buffer.from(body))]);
}

const END = Buffer.alloc(1024);

describe('readTar', () => {
  const sample = buildTar([
    { type: 'dir', name: 'etc/', mode: 0o755, uid: 1, gid: 2, mtime: 1600000000 },
    { type: 'file', name: 'etc/passwd', body: 'root:x:0:0\n', mode: 0o4755, uid: 1000, gid: 1001 },
    { type: 'file', name: 'empty', body: '' },
    { type: 'file', name: 'big', body: Buffer.alloc(70_000, 'z') },
    { type: 'symlink', name: 'link', target: '/etc/passwd' },
    { type: 'hardlink', name: 'hard', target: 'etc/passwd' },
    { type: 'char', name: 'dev/null', major: 1, minor: 3 },
    { type: 'block', name: 'dev/sda', major: 8, minor: 0 },
    { type: 'fifo', name: 'pipe', mode: 0o600 },
  ]);

  it('reads every type with its metadata and content', async () => {
    const e = await readAll(sample);
    expect(e.map(x => [x.name, x.type, x.size])).toEqual([
      ['etc/', 'dir', 0], ['etc/passwd', 'file', 11], ['empty', 'file', 0], ['big', 'file', 70_000],
      ['link', 'symlink', 0], ['hard', 'hardlink', 0], ['dev/null', 'char', 0], ['dev/sda', 'block', 0], ['pipe', 'fifo', 0],
    ]);
    expect(e[0]).toMatchObject({ mode: 0o755, uid: 1, gid: 2, mtime: 1600000000 });
    expect(e[1]).toMatchObject({ mode: 0o4755, uid: 1000, gid: 1001, content: 'root:x:0:0\n' });
    expect(e[3].content).toBe('z'.repeat(70_000));
    expect(e[4].linkname).toBe('/etc/passwd');
    expect(e[5].linkname).toBe('etc/passwd');
    expect(e[6]).toMatchObject({ devmajor: 1, devminor: 3 });
    expect(e[7]).toMatchObject({ devmajor: 8, devminor: 0 });
    expect(e[8].mode).toBe(0o600);
  });

  it('gives the same result whatever the chunk boundaries', async () => {
    const whole = await readAll(sample);
    for (const size of [1, 7, 511, 513, 4096]) expect(await readAll(sample, size)).toEqual(whole);
  });

  it('hands out body slices without copying when a chunk holds them', async () => {
    const src = sample;
    for await (const e of readTar(chunks(src))) {
      if (e.name !== 'etc/passwd') continue;
      for await (const c of e.body()) expect(c.buffer).toBe(src.buffer);
    }
  });

  it('skips bodies the consumer leaves unread, wholly or partly', async () => {
    const names: string[] = [];
    for await (const e of readTar(chunks(sample, 1000))) {
      names.push(e.name);
      if (e.name === 'big') for await (const _ of e.body()) break;
    }
    expect(names).toEqual(['etc/', 'etc/passwd', 'empty', 'big', 'link', 'hard', 'dev/null', 'dev/sda', 'pipe']);
  });

  it('refuses to read a body after moving on', async () => {
    const it = readTar(chunks(sample));
    const first = (await it.next()).value as TarEntry;
    await it.next();
    await it.next();
    await expect((async () => { for await (const _ of first.body()) { /* */ } })()).rejects.toThrow(/after moving on/);
  });

  it('reads pax records: long path and linkpath, xattrs, size, uid, gid, fractional mtime', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(150)}`;
    const archive = Buffer.concat([
      paxHeader([paxRecord('path', long), paxRecord('uid', '3000000'), paxRecord('gid', '42'), paxRecord('mtime', '1700000000.25'),
        paxRecord('size', '3'), paxRecord('SCHILY.xattr.user.bin', Buffer.from([0, 1, 0xff, 0x0a])), paxRecord('SCHILY.xattr.security.capability', 'cap')]),
      Buffer.concat([rawHeader({ name: 'short', size: 999 }), padded(Buffer.from('abc'))]),
      paxHeader([paxRecord('linkpath', `/${'t'.repeat(200)}`)]),
      rawHeader({ name: 'sym', typeflag: '2', linkname: 'truncated' }),
      END,
    ]);
    const [f, s] = await readAll(archive);
    expect(f).toMatchObject({ name: long, uid: 3000000, gid: 42, mtime: 1700000000.25, size: 3, content: 'abc' });
    expect(f.xattrs).toEqual({ 'user.bin': '\x00\x01\xff\x0a', 'security.capability': 'cap' });
    expect(s.linkname).toBe(`/${'t'.repeat(200)}`);
  });

  it('applies pax global records to later entries; a local empty value cancels them', async () => {
    const archive = Buffer.concat([
      paxHeader([paxRecord('uid', '77'), paxRecord('SCHILY.xattr.user.g', 'global')], 'g'),
      file('a', ''),
      paxHeader([paxRecord('uid', '')]),
      file('b', '', { uid: 5 }),
      END,
    ]);
    const [a, b] = await readAll(archive);
    expect(a).toMatchObject({ uid: 77, xattrs: { 'user.g': 'global' } });
    expect(b).toMatchObject({ uid: 5, xattrs: { 'user.g': 'global' } });
  });

  it('reads LIBARCHIVE.xattr records, SCHILY winning', async () => {
    const archive = Buffer.concat([
      paxHeader([paxRecord('LIBARCHIVE.xattr.user.a%3Db', Buffer.from('hello').toString('base64')),
        paxRecord('LIBARCHIVE.xattr.user.both', 'eA=='), paxRecord('SCHILY.xattr.user.both', 'schily')]),
      file('f', ''),
      END,
    ]);
    expect((await readAll(archive))[0].xattrs).toEqual({ 'user.a=b': 'hello', 'user.both': 'schily' });
  });

  it('reads GNU long names and long link names (L/K records)', async () => {
    const name = 'n'.repeat(300);
    const link = 'l'.repeat(250);
    const lrec = (flag: string, v: string) => Buffer.concat([rawHeader({ name: '././@LongLink', typeflag: flag, size: v.length + 1, magic: 'gnu' }), padded(Buffer.from(v + '\0'))]);
    const archive = Buffer.concat([lrec('L', name), lrec('K', link), rawHeader({ name: name.slice(0, 100), typeflag: '2', linkname: link.slice(0, 100), magic: 'gnu' }), END]);
    const [e] = await readAll(archive);
    expect(e).toMatchObject({ name, linkname: link, type: 'symlink' });
  });

  it('joins the ustar prefix field, but not in GNU headers', async () => {
    const archive = Buffer.concat([rawHeader({ name: 'file', prefix: 'some/dir' }), rawHeader({ name: 'g', prefix: 'ignored', magic: 'gnu' }), END]);
    expect((await readAll(archive)).map(e => e.name)).toEqual(['some/dir/file', 'g']);
  });

  it('reads base-256 numbers (large uid and size, negative mtime)', async () => {
    const b256 = (n: bigint, len: number) => {
      const b = Buffer.alloc(len);
      let v = n < 0n ? (1n << BigInt(len * 8)) + n : n;
      for (let i = len - 1; i >= 0; i--) { b[i] = Number(v & 0xffn); v >>= 8n; }
      if (n >= 0n) b[0] |= 0x80;
      return b;
    };
    const body = Buffer.from('data');
    const archive = Buffer.concat([
      rawHeader({ name: 'f', uid: b256(4_000_000_000n, 8), size: b256(4n, 12), mtime: b256(-2n, 12) }),
      padded(body), END,
    ]);
    expect((await readAll(archive))[0]).toMatchObject({ uid: 4_000_000_000, size: 4, mtime: -2, content: 'data' });
  });

  it("treats typeflags '\\0' and '7' as files, and '\\0' with a trailing slash as a directory (V7)", async () => {
    const archive = Buffer.concat([file('a', 'x', { typeflag: '\0', magic: 'v7' }), file('b', 'y', { typeflag: '7' }), rawHeader({ name: 'd/', typeflag: '\0', magic: 'v7' }), END]);
    expect((await readAll(archive)).map(e => [e.name, e.type, e.content])).toEqual([['a', 'file', 'x'], ['b', 'file', 'y'], ['d/', 'dir', '']]);
  });

  it('ignores size fields of types that carry no data (as Go does)', async () => {
    const archive = Buffer.concat([rawHeader({ name: 'd/', typeflag: '5', size: 4096 }), file('f', 'ok'), END]);
    expect((await readAll(archive)).map(e => [e.name, e.size])).toEqual([['d/', 0], ['f', 2]]);
  });

  it('verifies header checksums', async () => {
    const archive = Buffer.concat([file('a', 'x'), rawHeader({ name: 'b', checksum: 'bad' }), END]);
    await expect(readAll(archive)).rejects.toThrow(/^corrupt tar header at offset 1024$/);
  });

  it('refuses a non-tar blob and an empty stream', async () => {
    await expect(readAll(Buffer.from('{"this": "is json, not a tar archive"}'.repeat(20)))).rejects.toThrow('corrupt tar header at offset 0');
    await expect(readAll(Buffer.alloc(0))).rejects.toThrow('truncated tar archive');
  });

  it('refuses truncation inside a header, inside a body, and before the end marker', async () => {
    await expect(readAll(sample.subarray(0, 700))).rejects.toThrow('truncated tar archive');
    await expect(readAll(sample.subarray(0, 512 * 4 + 100))).rejects.toThrow('truncated tar archive');
    await expect(readAll(buildTar([{ type: 'file', name: 'a', body: 'x' }], { omitEnd: true }))).rejects.toThrow('truncated tar archive');
  });

  it('accepts a lone zero block at the very end, not one followed by entries', async () => {
    expect(await readAll(Buffer.concat([file('a', 'x'), Buffer.alloc(512)]))).toHaveLength(1);
    await expect(readAll(Buffer.concat([file('a', 'x'), Buffer.alloc(512), file('b', 'y'), END]))).rejects.toThrow(/corrupt tar header at offset 1536/);
  });

  it('refuses sparse files, multi-volume entries and unknown types', async () => {
    await expect(readAll(Buffer.concat([rawHeader({ name: 's', typeflag: 'S', magic: 'gnu' }), END]))).rejects.toThrow('unsupported tar entry at offset 0: GNU sparse file');
    await expect(readAll(Buffer.concat([rawHeader({ name: 'm', typeflag: 'M', magic: 'gnu' }), END]))).rejects.toThrow(/multi-volume/);
    await expect(readAll(Buffer.concat([paxHeader([paxRecord('GNU.sparse.major', '1')]), file('s', ''), END]))).rejects.toThrow(/sparse/);
    await expect(readAll(Buffer.concat([rawHeader({ name: 'z', typeflag: 'Z' }), END]))).rejects.toThrow("unsupported tar entry at offset 0: entry type 'Z'");
  });

  it('refuses names that are not UTF-8, and oversized extended headers', async () => {
    await expect(readAll(Buffer.concat([rawHeader({ name: Buffer.from([0x66, 0xff, 0x66]) }), END]))).rejects.toThrow(/not valid UTF-8/);
    const huge = Buffer.concat([rawHeader({ name: 'p', typeflag: 'x', size: 2 * 1024 * 1024 }), Buffer.alloc(2 * 1024 * 1024), file('a', ''), END]);
    await expect(readAll(huge)).rejects.toThrow(/larger than 1048576 bytes/);
  });

  it('refuses malformed pax records', async () => {
    const bad = (rec: string) => readAll(Buffer.concat([paxHeader([Buffer.from(rec)]), file('a', ''), END]));
    await expect(bad('5 a=b\n')).rejects.toThrow(/corrupt tar header at offset 0 \(bad pax record length\)/);
    await expect(bad('7 ab\nxx')).rejects.toThrow(/corrupt tar header/);
    await expect(bad('12 mtime=x1\n')).rejects.toThrow(/bad pax mtime/);
  });

  it('drains the source after the end marker, so a tap sees every byte', async () => {
    const archive = Buffer.concat([sample, Buffer.alloc(10_000, 1)]);
    let seen = 0;
    const entries: string[] = [];
    for await (const e of readTar(tapChunks(chunks(archive, 3000), c => { seen += c.length; }))) entries.push(e.name);
    expect(entries).toHaveLength(9);
    expect(seen).toBe(archive.length);
  });

  it('reads what GNU tar writes in gnu, posix (with xattrs) and ustar formats', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tar-reader-'));
    try {
      const src = path.join(dir, 'src');
      const deep = path.join(src, 'a'.repeat(60), 'b'.repeat(60));
      await mkdir(deep, { recursive: true });
      await writeFile(path.join(deep, 'c'.repeat(90)), 'deep content');
      await symlink('x'.repeat(150), path.join(src, 'longlink'));
      await execa('setfattr', ['-n', 'user.note', '-v', 'hello', path.join(deep, 'c'.repeat(90))]);
      for (const format of ['gnu', 'posix', 'ustar']) {
        const args = ['-C', src, '--sort=name', `--format=${format}`, '-cf', '-', ...(format === 'posix' ? ['--xattrs'] : []), format === 'ustar' ? 'a'.repeat(60) : '.'];
        const { stdout } = await execa('tar', args, { encoding: 'buffer' });
        const entries = await readAll(Buffer.from(stdout), 10_000);
        const f = entries.find(e => e.name.endsWith('c'.repeat(90)));
        expect(f, format).toMatchObject({ type: 'file', content: 'deep content', name: `${format === 'ustar' ? '' : './'}${'a'.repeat(60)}/${'b'.repeat(60)}/${'c'.repeat(90)}` });
        if (format === 'posix') expect(f?.xattrs).toEqual({ 'user.note': 'hello' });
        if (format !== 'ustar') expect(entries.find(e => e.name === './longlink')?.linkname).toBe('x'.repeat(150));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
