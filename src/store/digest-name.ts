import { RackerError } from '../errors.js';

const SHA256 = /^sha256:([a-f0-9]{64})$/;

/**
 * The hex part of a sha256 digest, for use in a file name. Anything else is
 * refused here, before any path is built from it.
 */
export function parseDigestHex(digest: string): string {
  const m = SHA256.exec(digest);
  if (!m) throw new RackerError(`invalid digest '${digest.slice(0, 80)}'`, { hint: 'racker stores sha256 digests only' });
  return m[1];
}

export function shortId(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}
