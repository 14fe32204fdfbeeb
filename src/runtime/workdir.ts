import path from 'node:path';
import { RackerError } from '../errors.js';

/**
 * The working directory of a container's command, decided before anything is
 * mounted: `-w` wins over the image's WorkingDir, both must be absolute (as
 * docker demands; nspawn's own refusal would otherwise look like the
 * command's exit code 1). `..` is folded away, so `/a/../b` is `/b`.
 */
export function containerWorkdir(flag: string | undefined, image: string | null | undefined): string {
  if (flag !== undefined) {
    if (!path.posix.isAbsolute(flag)) {
      throw new RackerError(`the working directory '${flag.slice(0, 200)}' is invalid, it needs to be an absolute path`, { hint: 'give -w an absolute path inside the container, e.g. -w /app' });
    }
    return checkLength(path.posix.normalize(flag), 'the working directory', '-w');
  }
  if (image === undefined || image === null || image === '') return '/';
  if (!path.posix.isAbsolute(image)) {
    throw new RackerError(`the image's WorkingDir ${JSON.stringify(image.slice(0, 200))} is not an absolute path`, { hint: 'give -w an absolute path to run this image anyway' });
  }
  return checkLength(path.posix.normalize(image), "the image's WorkingDir", 'the image');
}

/** Linux's limits: 255 bytes a name, 4095 bytes a path. */
function checkLength(p: string, what: string, fix: string): string {
  if (Buffer.byteLength(p) > 4095) throw new RackerError(`${what} is longer than 4095 bytes`, { hint: `shorten ${fix}'s path` });
  if (p.split('/').some(part => Buffer.byteLength(part) > 255)) {
    throw new RackerError(`${what} has a name longer than 255 bytes`, { hint: `shorten ${fix}'s path` });
  }
  if (p.includes('\0')) throw new RackerError(`${what} contains a NUL byte`, { hint: `fix ${fix}'s path` });
  return p;
}
