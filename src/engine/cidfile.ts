import { writeFile } from 'node:fs/promises';
import { RackerError, isErrno } from '../errors.js';

/** --cidfile: the id written to a file that must not exist yet (docker's rule), never over one. */
export async function writeCidfile(file: string, id: string): Promise<void> {
  try {
    await writeFile(file, id, { flag: 'wx', mode: 0o644 });
  } catch (err) {
    if (isErrno(err, 'EEXIST')) throw new RackerError(`container ID file found, make sure the other container isn't running or delete ${file.slice(0, 200)}`);
    throw new RackerError(`cannot write --cidfile ${file.slice(0, 200)}: ${(err as Error).message}`, { hint: 'give a path in an existing, writable directory' });
  }
}
