import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestVerifier, digestOfBuffer, parseDigest, verifyBuffer } from '../../src/image/digest.js';
import { RackerError } from '../../src/errors.js';

const data = Buffer.from('hello, racker\n');
const good = `sha256:${createHash('sha256').update(data).digest('hex')}`;

async function drain(chunks: Buffer[], verifier: DigestVerifier): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), verifier, async (src: AsyncIterable<Buffer>) => { for await (const c of src) out.push(c); });
  return Buffer.concat(out);
}

describe('parseDigest', () => {
  it('splits valid sha256 and sha512 digests', () => {
    expect(parseDigest(good)).toEqual({ algorithm: 'sha256', hex: good.slice(7) });
    const d512 = `sha512:${'a'.repeat(128)}`;
    expect(parseDigest(d512)).toEqual({ algorithm: 'sha512', hex: 'a'.repeat(128) });
  });

  it.each([
    'sha256:../../x',
    `sha256:${'a'.repeat(63)}`,
    `sha256:${'a'.repeat(65)}`,
    `sha256:${'A'.repeat(64)}`,
    `sha256:${'a'.repeat(64)}\n`,
    `sha256:${'a'.repeat(62)}/.`,
    `md5:${'a'.repeat(32)}`,
    `sha512:${'a'.repeat(64)}`,
    `sha256:${'a'.repeat(64)}/../x`,
    'sha256',
    '',
  ])('rejects %j', bad => {
    expect(() => parseDigest(bad)).toThrow(RackerError);
    expect(() => parseDigest(bad)).toThrow(/invalid digest/);
  });

  it('rejects non-strings from JSON', () => {
    for (const bad of [undefined, null, 42, {}, ['sha256:x']]) expect(() => parseDigest(bad)).toThrow(/invalid digest/);
  });
});

describe('digestOfBuffer and verifyBuffer', () => {
  it('computes and verifies', () => {
    expect(digestOfBuffer(data)).toBe(good);
    expect(digestOfBuffer(data, 'sha512')).toMatch(/^sha512:[a-f0-9]{128}$/);
    expect(() => verifyBuffer(data, good, data.length)).not.toThrow();
    expect(() => verifyBuffer(data, good)).not.toThrow();
  });

  it('reports digest and size mismatches', () => {
    const other = Buffer.from('hello, racker?');
    expect(() => verifyBuffer(other, good)).toThrow(new RegExp(`digest mismatch for ${good}: got sha256:[a-f0-9]{64}`));
    expect(() => verifyBuffer(data, good, 3)).toThrow(`size mismatch for ${good}: expected 3 bytes, got ${data.length}`);
    expect(() => verifyBuffer(data, 'sha256:../../x')).toThrow(/invalid digest/);
  });
});

describe('DigestVerifier', () => {
  it('passes bytes through unchanged when they match', async () => {
    const v = new DigestVerifier({ digest: good, size: data.length });
    expect(await drain([data.subarray(0, 5), data.subarray(5)], v)).toEqual(data);
    expect(v.bytes).toBe(data.length);
  });

  it('fails at the end on a digest mismatch', async () => {
    const tampered = Buffer.from(data);
    tampered[0] ^= 1;
    await expect(drain([tampered], new DigestVerifier({ digest: good, size: data.length }))).rejects.toThrow(/digest mismatch for sha256:/);
  });

  it('fails on a short stream', async () => {
    await expect(drain([data.subarray(0, 4)], new DigestVerifier({ digest: good, size: data.length })))
      .rejects.toThrow(`size mismatch for ${good}: expected ${data.length} bytes, got 4`);
  });

  it('fails as soon as the size is exceeded, without reading the rest', async () => {
    let pulled = 0;
    // an endless source: only the size limit can stop it
    const endless = new Readable({ read() { pulled++; this.push(Buffer.alloc(1024)); } });
    const v = new DigestVerifier({ digest: good, size: data.length });
    await expect(pipeline(endless, v, async (src: AsyncIterable<Buffer>) => { for await (const _ of src) { /* discard */ } }))
      .rejects.toThrow(/size mismatch .*expected 14 bytes, got 1024/);
    // the source fills its buffer (16 KiB) once; it is not read to the end
    expect(pulled).toBeLessThan(40);
  });

  it('works without a size, and refuses a bad digest at construction', async () => {
    expect(await drain([data], new DigestVerifier({ digest: good }))).toEqual(data);
    expect(() => new DigestVerifier({ digest: 'sha256:../../x', size: 1 })).toThrow(/invalid digest/);
    expect(() => new DigestVerifier({ digest: good, size: -1 })).toThrow(/invalid size/);
  });
});
