import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { readTar } from '../../../src/image/tar-reader.js';
import { tarHeader, writeTar } from '../../../src/image/tar-writer.js';

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of chunks) out.push(c);
  return Buffer.concat(out);
}

describe('writeTar', () => {
  it('writes what the strict reader reads back: directories, files from buffers and streams', async () => {
    const tar = await collect(writeTar([
      { name: 'blobs', kind: 'dir' },
      { name: 'blobs/a', kind: 'file', size: 5, content: () => Buffer.from('hello') },
      { name: 'manifest.json', kind: 'file', size: 600, content: () => Readable.from([Buffer.alloc(600, 0x41)]) },
    ]));
    expect(tar.length % 512).toBe(0);
    const seen: [string, string, string][] = [];
    for await (const e of readTar(Readable.from([tar]))) {
      const body: Buffer[] = [];
      for await (const c of e.body()) body.push(Buffer.from(c));
      seen.push([e.name, e.type, Buffer.concat(body).toString().slice(0, 3)]);
    }
    expect(seen).toEqual([['blobs/', 'dir', ''], ['blobs/a', 'file', 'hel'], ['manifest.json', 'file', 'AAA']]);
  });

  it('refuses content of another size than declared', async () => {
    await expect(collect(writeTar([{ name: 'x', kind: 'file', size: 4, content: () => Buffer.from('abc') }]))).rejects.toThrow(/expected 4/);
  });

  it('writes sizes past 8 GiB in base-256, as Go and GNU tar read them', () => {
    const h = tarHeader('big', 'file', 2 ** 34, 0);
    expect(h[124]).toBe(0x80);
    expect(h.readUInt32BE(132)).toBe(0);
    expect(h[131]).toBe(4);
  });
});

describe('tarHeader: long names, modes and owners', () => {
  it('splits a name past 100 bytes into ustar\'s prefix and name, which the reader joins back', async () => {
    const name = `${'d'.repeat(80)}/${'e'.repeat(60)}/f.txt`;
    const tar = await collect(writeTar([{ name, kind: 'file', size: 2, content: () => Buffer.from('hi'), mode: 0o4750, uid: 7, gid: 8 }]));
    const entries = [];
    for await (const e of readTar(Readable.from([tar]))) entries.push(e);
    expect(entries.map(e => [e.name, e.mode, e.uid, e.gid])).toEqual([[name, 0o4750, 7, 8]]);
  });

  it('refuses a name it cannot split', () => {
    expect(() => tarHeader('x'.repeat(120), 'file', 0, 0)).toThrow(/too long/);
  });
});
