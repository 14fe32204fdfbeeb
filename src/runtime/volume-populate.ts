import { chmod, chown, lstat, readFile, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { RackerError, isErrno } from '../errors.js';
import { run } from '../process.js';
import { shown } from '../untrusted.js';
import { stagingName, sweepStaging, writeFileAtomic } from '../atomic.js';
import { withLock } from '../lock.js';
import { resolveInRoot } from './rootfs-path.js';
import { checkVolumeTarget } from './volumes.js';
import type { VolumeRecord } from '../model/volume.js';

/**
 * Fill an empty volume from the image, as docker does: the engine calls this
 * after mounting the container's rootfs and before nspawn starts, for every
 * volume mount that is not `nocopy`.
 *
 * `volumeDir` is the volume's _data (VolumeStore.dataDir), `rootfs` the
 * mounted root, `containerPath` the mount target. `containerPath` is resolved
 * inside `rootfs` (an image's symlink never leads out of it), and what is
 * there is copied with `cp -a -x`: owners, modes, times, xattrs and hardlinks
 * kept, symlinks copied as symlinks (never followed), other mounts not
 * entered. The volume's root takes the owner and mode of the image's
 * directory. It is copied to a staging directory first, then moved in, so a
 * failed copy leaves the volume empty.
 *
 * It happens at most once per volume: volume.json records `Populated` when
 * content was copied, or when the volume was found not empty. An image with
 * nothing at the path copies nothing and leaves the volume to be filled by
 * the next one. Returns whether anything was copied.
 */
export async function populateFromImage(volumeDir: string, rootfs: string, containerPath: string): Promise<boolean> {
  const volume = path.dirname(volumeDir);
  const recordFile = path.join(volume, 'volume.json');
  const target = checkVolumeTarget(containerPath);
  return withLock(path.join(volume, 'populate.lock'), async () => {
    const rec = JSON.parse(await readFile(recordFile, 'utf8').catch(err => {
      if (isErrno(err, 'ENOENT')) throw new RackerError(`${shown(volumeDir)} is not the data directory of a racker volume`, { hint: 'pass VolumeStore.dataDir(name)' });
      throw err;
    })) as VolumeRecord;
    if (rec.Populated) return false;
    const markPopulated = () => writeFileAtomic(recordFile, JSON.stringify({ ...rec, Populated: true }, null, 2));
    if ((await readdir(volumeDir)).length) {
      await markPopulated();
      return false;
    }
    const source = await resolveInRoot(rootfs, target);
    let st;
    try {
      st = await lstat(source);
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return false;
      throw err;
    }
    if (!st.isDirectory()) {
      throw new RackerError(`cannot mount volume ${shown(rec.Name, 80)} on ${shown(target)}: the image has a file there`, { hint: 'choose another container path for the volume' });
    }
    await sweepStaging(volume);
    const stage = stagingName(volume, '.fill');
    try {
      await run('cp', ['-a', '-x', '--', source, stage], { purpose: `fill volume ${rec.Name} from the image's ${target}` });
      for (const name of await readdir(stage)) await rename(path.join(stage, name), path.join(volumeDir, name));
      const top = await lstat(stage);
      await chown(volumeDir, top.uid, top.gid);
      await chmod(volumeDir, top.mode & 0o7777);
    } finally {
      await rm(stage, { recursive: true, force: true });
    }
    await markPopulated();
    return true;
  });
}
