import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { digestOfBuffer, digestOfFile, DigestVerifier, isValidDigest, parseDigest, parseDigestHex, verifyBuffer } from '../../../src/image/digest.js';
import { RackerError } from '../../../src/errors.js';

const data = Buffer.from('hello, racker\n');
const good = `sha256:${createHash('sha256').update(data).digest('hex')}`;
const D256 = `sha256:${'a1'.repeat(32)}`;
const D512 = `sha512:${'b2'.repeat(64)}`;
const hex = (c: string) => c.repeat(64);

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

describe('isValidDigest', () => {
  it('accepts exactly sha256:<64 hex> and sha512:<128 hex>, lowercase', () => {
    expect(isValidDigest(D256)).toBe(true);
    expect(isValidDigest(D512)).toBe(true);
    for (const bad of [
      '', 'sha256:', `sha256:${'a'.repeat(63)}`, `sha256:${'a'.repeat(65)}`, `sha256:${'A'.repeat(64)}`,
      `sha512:${'a'.repeat(64)}`, `sha384:${'a'.repeat(96)}`, `${D256}\n`, ` ${D256}`, `SHA256:${'a'.repeat(64)}`,
      `sha256:${'g'.repeat(64)}`,
    ]) {
      expect(isValidDigest(bad), bad).toBe(false);
    }
  });
});

describe('parseDigestHex', () => {
  it('accepts only sha256 hex', () => {
    expect(parseDigestHex(`sha256:${hex('a')}`)).toBe(hex('a'));
    for (const bad of ['sha256:../../x', `sha512:${hex('a')}`, `sha256:${hex('A')}`, 'sha256:abc']) expect(() => parseDigestHex(bad)).toThrow(/invalid digest/);
  });
});

describe('parseDigestHex messages', () => {
  it('shows a bad digest escaped and cut, never raw', () => {
    const e = (() => { try { parseDigestHex(`sha256:\x1b]0;pwned\x07${'z'.repeat(200)}`); } catch (err) { return err as RackerError; } })();
    expect(e).toBeInstanceOf(RackerError);
    expect(e!.message).not.toMatch(/[\x00-\x1f]/);
    expect(e!.message).toContain('\\x1b]0;pwned\\x07');
    expect(e!.message.length).toBeLessThan(120);
  });
});

describe('digestOfFile', () => {
  it('hashes a file as digestOfBuffer hashes its content', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'racker-digest-'));
    try {
      const file = path.join(dir, 'blob');
      const big = Buffer.alloc(300_000, 7);
      await writeFile(file, big);
      expect(await digestOfFile(file)).toBe(digestOfBuffer(big));
      expect(await digestOfFile(file, 'sha512')).toBe(digestOfBuffer(big, 'sha512'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
