import { stat } from 'node:fs/promises';
import path from 'node:path';
import { EXIT, RackerError } from '../errors.js';
import { shown } from '../untrusted.js';
import { resolveInRoot } from './rootfs-path.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

async function statInRoot(root: string, p: string) {
  try {
    return await stat(await resolveInRoot(root, p));
  } catch {
    return undefined;
  }
}

function isExecutable(st: { mode: number; isFile(): boolean }): boolean {
  return st.isFile() && (st.mode & 0o111) !== 0;
}

/**
 * Find the command the way execvp would inside the container, before starting
 * it: systemd-nspawn reports a failed exec as exit code 1, but docker users
 * expect 127 (not found) and 126 (cannot invoke).
 */
export async function checkCommand(root: string, argv0: string, searchPath: string, workdir: string): Promise<void> {
  if (argv0.includes('/')) {
    const abs = argv0.startsWith('/') ? argv0 : path.posix.join(workdir, argv0);
    const st = await statInRoot(root, abs);
    if (!st) throw new RackerError(`exec: "${shown(argv0)}": stat ${shown(argv0)}: no such file or directory`, { exitCode: EXIT.NOT_FOUND });
    if (!isExecutable(st)) throw new RackerError(`exec: "${shown(argv0)}": permission denied`, { exitCode: EXIT.CANNOT_INVOKE });
    return;
  }
  let sawNonExecutable = false;
  for (const dir of searchPath.split(':').filter(Boolean)) {
    const st = await statInRoot(root, path.posix.join(dir, argv0));
    if (!st) continue;
    if (isExecutable(st)) return;
    if (st.isFile()) sawNonExecutable = true;
  }
  if (sawNonExecutable) throw new RackerError(`exec: "${shown(argv0)}": permission denied`, { exitCode: EXIT.CANNOT_INVOKE });
  throw new RackerError(`exec: "${shown(argv0)}": executable file not found in $PATH`, { exitCode: EXIT.NOT_FOUND });
}
