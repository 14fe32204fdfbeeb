import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { RackerError } from '../errors.js';
import { run, runAllowFail } from '../process.js';

/** Mount option data is limited to one page; relative lowerdirs keep it short. */
const MAX_MOUNT_DATA = 4000;

export interface OverlaySpec {
  /** layer directories, topmost first */
  lowers: string[];
  upper: string;
  work: string;
  target: string;
  /**
   * a throwaway layer (--rm): overlayfs' `volatile` skips syncing the upper
   * dir, so unmounting does not wait for the container's writes to reach the
   * disk (3–100 ms per run here); after a host crash such a layer is gone anyway
   */
  volatile?: boolean;
}

export async function mountOverlay(spec: OverlaySpec): Promise<void> {
  if (spec.lowers.length === 0) throw new RackerError('an overlay needs at least one lower layer');
  if (new Set(spec.lowers).size !== spec.lowers.length) {
    // racker keeps a layer listed twice in a directory per use; older stores recorded one
    throw new RackerError('the image uses one layer directory twice (it lists a layer twice and was pulled by an older racker)', { hint: 'pull the image again' });
  }
  // a volatile mount leaves work/incompat/volatile behind, and overlayfs refuses that work dir again
  await rm(path.join(spec.work, 'incompat'), { recursive: true, force: true });
  await mkdir(spec.upper, { recursive: true, mode: 0o755 });
  await mkdir(spec.work, { recursive: true, mode: 0o700 });
  await mkdir(spec.target, { recursive: true, mode: 0o755 });
  // all layers live side by side: mount from their parent with short relative names
  const cwd = path.dirname(path.dirname(spec.lowers[0]));
  const lowers = spec.lowers.map(l => path.relative(cwd, l));
  const data = `lowerdir=${lowers.join(':')},upperdir=${spec.upper},workdir=${spec.work}${spec.volatile ? ',volatile' : ''}`;
  if (data.length > MAX_MOUNT_DATA) {
    throw new RackerError(`the image has too many layers (${spec.lowers.length}) for one overlay mount`, { hint: 'squash the image into fewer layers' });
  }
  await run('mount', ['-t', 'overlay', 'overlay', '-o', data, spec.target], { cwd, purpose: 'mount the container overlay' });
}

export async function unmount(target: string): Promise<void> {
  const r = await runAllowFail('umount', [target]);
  if (r.exitCode === 0) return;
  // still busy (a process in the container is slow to die): detach it so cleanup can go on
  await run('umount', ['--lazy', target], { purpose: `unmount ${target}` });
}
