import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { RackerError } from '../errors.js';
import { shown as shownUntrusted } from '../untrusted.js';

export type DigestAlgorithm = 'sha256' | 'sha512';

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  /** lowercase hex, exactly as long as the algorithm's output */
  hex: string;
}

const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const SHA256 = /^sha256:([a-f0-9]{64})$/;

const shown = (value: unknown) => shownUntrusted(value, 80);

/** sha256:<64 lowercase hex> or sha512:<128 lowercase hex>, the digests racker accepts anywhere. */
export function isValidDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST.test(value);
}

/**
 * Split a digest into algorithm and hex, refusing anything else. Every digest
 * that arrives from outside passes here before a URL or a path is built from it
 * (`sha256:../../x` must never become a file name).
 */
export function parseDigest(value: unknown): ParsedDigest {
  if (!isValidDigest(value)) {
    throw new RackerError(`invalid digest '${shown(value)}'`, { hint: 'expected sha256:<64 hex digits> or sha512:<128 hex digits>' });
  }
  const [algorithm, hex] = value.split(':') as [DigestAlgorithm, string];
  return { algorithm, hex };
}

/**
 * The hex part of a sha256 digest, for use in a file name in the store. Anything
 * else is refused here, before any path is built from it.
 */
export function parseDigestHex(digest: string): string {
  const m = SHA256.exec(digest);
  if (!m) throw new RackerError(`invalid digest '${shown(digest)}'`, { hint: 'racker stores sha256 digests only' });
  return m[1];
}

/** A size from a descriptor: a non-negative safe integer, or an error. */
export function parseSize(value: unknown, digest: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RackerError(`invalid size '${shown(value)}' for ${shown(digest)}`);
  }
  return value;
}

export function digestOfBuffer(buf: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(buf).digest('hex')}`;
}

/** sha256:<hex> (or sha512) of a whole file, read as a stream. */
export async function digestOfFile(file: string, algorithm: DigestAlgorithm = 'sha256'): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `${algorithm}:${hash.digest('hex')}`;
}

function digestMismatch(expected: string, actual: string): RackerError {
  return new RackerError(`digest mismatch for ${expected}: got ${actual}`, {
    hint: 'the data is corrupt or was tampered with; nothing was stored',
  });
}

function sizeMismatch(expected: string, size: number, actual: number): RackerError {
  return new RackerError(`size mismatch for ${expected}: expected ${size} bytes, got ${actual}`, {
    hint: 'the data is corrupt or was tampered with; nothing was stored',
  });
}

/** Throws unless `buf` has the given digest (and size, when given). */
export function verifyBuffer(buf: Uint8Array, digest: string, size?: number): void {
  const { algorithm } = parseDigest(digest);
  if (size !== undefined && buf.length !== size) throw sizeMismatch(digest, size, buf.length);
  const actual = digestOfBuffer(buf, algorithm);
  if (actual !== digest) throw digestMismatch(digest, actual);
}

/**
 * Passes bytes through unchanged while hashing them. Fails as soon as more
 * than `size` bytes arrive (a hostile source cannot make us read forever) and,
 * at the end, when the size or the digest differ.
 */
export class DigestVerifier extends Transform {
  readonly digest: string;
  readonly size: number | undefined;
  private readonly hash: Hash;
  private readonly algorithm: DigestAlgorithm;
  private seen = 0;

  constructor(opts: { digest: string; size?: number }) {
    super();
    const { algorithm } = parseDigest(opts.digest);
    this.digest = opts.digest;
    this.size = opts.size === undefined ? undefined : parseSize(opts.size, opts.digest);
    this.algorithm = algorithm;
    this.hash = createHash(algorithm);
  }

  /** bytes that passed so far */
  get bytes(): number {
    return this.seen;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.size !== undefined && this.seen > this.size) {
      // stop at once: the source may be endless
      cb(sizeMismatch(this.digest, this.size, this.seen));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.size !== undefined && this.seen !== this.size) {
      cb(sizeMismatch(this.digest, this.size, this.seen));
      return;
    }
    const actual = `${this.algorithm}:${this.hash.digest('hex')}`;
    cb(actual === this.digest ? null : digestMismatch(this.digest, actual));
  }
}
