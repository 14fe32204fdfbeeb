import { mkdir, mkdtemp, readdir, rm, stat, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runAllowFail } from '../../process.js';
import { unmount } from '../overlay.js';
import { COMMAND_TIMEOUT_MS, fail, ok, warn, type Check, type Verdict } from './verdict.js';

export function rootVerdict(uid: number): Verdict {
  return uid === 0 ? ok('root', 'running as root')
    : fail('root', `running as uid ${uid}: racker mounts overlays and starts systemd-nspawn, which need root`, 'run racker as root (sudo racker …)');
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
export const SPACE_WARN_BYTES = 2 * GiB;
export const SPACE_FAIL_BYTES = 200 * MiB;

function size(bytes: number): string {
  return bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : `${Math.floor(bytes / MiB)} MiB`;
}

/** `checked` is the store root, or its nearest existing parent when the store is not created yet. */
export function spaceVerdict(root: string, checked: string, availableBytes: number): Verdict {
  const where = checked === root ? root : `${checked} (${root} does not exist yet)`;
  const detail = `${size(availableBytes)} free at ${where}`;
  const fix = `free space there, or put the store on a larger file system (--root DIR or RACKER_ROOT)`;
  if (availableBytes < SPACE_FAIL_BYTES) return fail('store-space', `${detail}; images and containers need at least ${size(SPACE_FAIL_BYTES)}`, fix);
  if (availableBytes < SPACE_WARN_BYTES) return warn('store-space', `${detail}; a few OS images need more than ${size(SPACE_WARN_BYTES)}`, fix);
  return ok('store-space', detail);
}

/** statfs f_type magic numbers (linux/magic.h) of the file systems worth naming. */
export const FS_NAMES: Record<number, string> = {
  0xef53: 'ext4', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x01021994: 'tmpfs', 0xf2f52010: 'f2fs', 0x2fc12fc1: 'zfs',
  0x794c7630: 'overlay', 0x6969: 'nfs', 0xff534d42: 'cifs', 0xfe534d42: 'smb2', 0x65735546: 'fuse', 0x4d44: 'vfat',
  0x2011bab0: 'exfat', 0x5346544e: 'ntfs', 0x73717368: 'squashfs', 0x9660: 'iso9660', 0xf15f: 'ecryptfs', 0x61756673: 'aufs',
  0x01021997: '9p', 0x786f4256: 'virtiofs',
};
/** File systems overlayfs refuses (or mishandles) as an upper dir: no whiteouts, no trusted xattrs, or read-only. */
export const NOT_UPPER = new Set(['overlay', 'nfs', 'cifs', 'smb2', 'fuse', 'vfat', 'exfat', 'ntfs', 'squashfs', 'iso9660', 'ecryptfs', 'aufs', '9p']);

export function fsName(type: number): string {
  return FS_NAMES[type] ?? `0x${type.toString(16)}`;
}

/** What mounting a tiny overlay with its upper dir in the store showed: undefined when it could not be tried (not root). */
export type ProbeResult = { mounted: true } | { mounted: false; error: string };

export function storeFsVerdict(checked: string, fsType: number, probe?: ProbeResult): Verdict {
  const name = fsName(fsType);
  const fix = 'put the store on ext4, xfs or btrfs: --root DIR or RACKER_ROOT (not on overlayfs, NFS or FUSE)';
  if (probe?.mounted) return ok('store-fs', `${checked} is on ${name}; a test overlay with its upper dir there mounted and took writes`);
  if (probe) return fail('store-fs', `${checked} is on ${name}, which cannot be an overlay upper dir: ${probe.error}`, fix);
  if (NOT_UPPER.has(name)) return fail('store-fs', `${checked} is on ${name}, which cannot be an overlay upper dir`, fix);
  return warn('store-fs', `${checked} is on ${name}; not tested as an overlay upper dir (that needs root)`, 'run racker doctor as root');
}

/** The store root if it exists, else its nearest existing parent (doctor creates nothing in its place). */
export async function existingAncestor(dir: string): Promise<string> {
  for (let d = dir; ; d = path.dirname(d)) {
    if (await stat(d).then(s => s.isDirectory(), () => false)) return d;
    if (d === path.dirname(d)) return d;
  }
}

/**
 * Mount a tiny overlay whose upper and work dirs are in `base`, write through
 * it (a new file, and a whiteout over a lower one), then unmount and remove
 * everything. Every command is bounded; cleanup always runs.
 */
export async function probeOverlayUpper(base: string): Promise<ProbeResult> {
  const dir = await mkdtemp(path.join(base, '.racker-doctor-'));
  let mounted = false;
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) await mkdir(path.join(dir, d));
    await writeFile(path.join(dir, 'lower', 'old'), 'old\n');
    // relative names: the store path may hold ',' or ':' that mount options cannot
    const r = await runAllowFail('mount', ['-t', 'overlay', 'overlay', '-o', 'lowerdir=lower,upperdir=upper,workdir=work', 'merged'],
      { cwd: dir, timeout: COMMAND_TIMEOUT_MS });
    if (r.exitCode !== 0) {
      // "mount: /tmp/…/merged: wrong fs type, …": the temporary path says nothing useful
      const why = r.timedOut ? 'mount timed out' : r.stderr.trim().split('\n')[0]?.replace(/^mount: [^:]*: /, '') || `mount returned ${r.exitCode}`;
      return { mounted: false, error: why.slice(0, 200) };
    }
    mounted = true;
    await writeFile(path.join(dir, 'merged', 'new'), 'new\n');
    await rm(path.join(dir, 'merged', 'old'));
    const upper = await readdir(path.join(dir, 'upper'));
    if (!upper.includes('new') || !upper.includes('old')) return { mounted: false, error: 'the overlay mounted but writes did not reach the upper dir' };
    return { mounted: true };
  } catch (err) {
    return { mounted: false, error: `writing through the overlay failed: ${(err as Error).message}` };
  } finally {
    if (mounted) await unmount(path.join(dir, 'merged'));
    await rm(dir, { recursive: true, force: true });
  }
}

export function storeChecks(root: string): Check[] {
  const isRoot = process.getuid?.() === 0;
  return [
    { name: 'root', run: async () => rootVerdict(process.getuid?.() ?? -1) },
    {
      name: 'store-space',
      async run() {
        const checked = await existingAncestor(root);
        const fs = await statfs(checked);
        return spaceVerdict(root, checked, Number(fs.bavail) * Number(fs.bsize));
      },
    },
    {
      name: 'store-fs',
      ownTimeouts: true,
      async run() {
        const checked = await existingAncestor(root);
        const fs = await statfs(checked);
        return storeFsVerdict(checked, Number(fs.type), isRoot ? await probeOverlayUpper(checked) : undefined);
      },
    },
  ];
}
