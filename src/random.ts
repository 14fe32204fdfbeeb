import { closeSync, openSync, readSync } from 'node:fs';

/**
 * `bytes` random bytes as hex, from the kernel's /dev/urandom: container,
 * network and volume ids, staging names. node:crypto would do the same, but
 * loading it is seventeen modules on a start that hashes nothing.
 */
export function randomHex(bytes: number): string {
  const buf = Buffer.alloc(bytes);
  const fd = openSync('/dev/urandom', 'r');
  try {
    for (let got = 0; got < bytes;) got += readSync(fd, buf, got, bytes - got, null);
  } finally {
    closeSync(fd);
  }
  return buf.toString('hex');
}
