import { readFile, readdir } from 'node:fs/promises';
import { runAllowFail } from '../../process.js';
import { COMMAND_TIMEOUT_MS, fail, ok, warn, type Check, type Verdict } from './verdict.js';

/** Is "overlay" among the file systems the running kernel knows (/proc/filesystems)? */
export function overlayInFilesystems(procFilesystems: string): boolean {
  return procFilesystems.split('\n').some(l => l.trim().split(/\s+/).pop() === 'overlay');
}

/** modprobe's dry run: 'loadable' (exit 0), 'absent' (it answered no) or 'no-modprobe'. */
export type ModprobeAnswer = 'loadable' | 'absent' | 'no-modprobe';

export function overlayVerdict(inFilesystems: boolean, modprobe?: ModprobeAnswer): Verdict {
  if (inFilesystems) return ok('overlayfs', 'overlay is in /proc/filesystems');
  if (modprobe === 'loadable') return ok('overlayfs', 'overlay is a module the kernel loads on first use (modprobe -n overlay)');
  return fail('overlayfs', modprobe === 'no-modprobe'
    ? 'overlay is not in /proc/filesystems and modprobe is not there to load it'
    : 'overlay is not in /proc/filesystems and modprobe cannot load it',
  'modprobe overlay (or boot a kernel built with CONFIG_OVERLAY_FS)');
}

/** nspawn cannot start a container without these (the names under /proc/self/ns). */
export const REQUIRED_NAMESPACES = ['mnt', 'pid', 'uts', 'ipc'] as const;
/** racker works without these today: networks (net) and user namespaces are not used yet. */
export const OPTIONAL_NAMESPACES = ['net', 'user'] as const;

export function namespacesVerdict(present: readonly string[], maxUserNamespaces?: number): Verdict {
  const missing = REQUIRED_NAMESPACES.filter(n => !present.includes(n));
  if (missing.length) {
    return fail('namespaces', `missing ${missing.join(', ')} namespaces (/proc/self/ns)`,
      `boot a kernel with ${missing.map(n => (n === 'mnt' ? 'CONFIG_NAMESPACES' : `CONFIG_${n.toUpperCase()}_NS`)).join(', ')}`);
  }
  const absent = OPTIONAL_NAMESPACES.filter(n => !present.includes(n));
  const have = [...REQUIRED_NAMESPACES, ...OPTIONAL_NAMESPACES].filter(n => present.includes(n)).join(', ');
  if (absent.length) {
    return warn('namespaces', `${have} available; no ${absent.join(', ')} namespaces (container networks will need net)`,
      `boot a kernel with ${absent.map(n => `CONFIG_${n.toUpperCase()}_NS`).join(', ')}`);
  }
  if (maxUserNamespaces === 0) {
    return warn('namespaces', `${have} available, but user namespaces are switched off (user.max_user_namespaces = 0)`,
      'sysctl -w user.max_user_namespaces=15000');
  }
  return ok('namespaces', `${have} available`);
}

async function modprobeOverlay(): Promise<ModprobeAnswer> {
  try {
    const r = await runAllowFail('modprobe', ['--dry-run', '--quiet', 'overlay'], { timeout: COMMAND_TIMEOUT_MS });
    return r.exitCode === 0 ? 'loadable' : 'absent';
  } catch {
    return 'no-modprobe';
  }
}

export function kernelChecks(): Check[] {
  return [
    {
      name: 'overlayfs',
      async run() {
        const inFs = overlayInFilesystems(await readFile('/proc/filesystems', 'utf8'));
        return overlayVerdict(inFs, inFs ? undefined : await modprobeOverlay());
      },
    },
    {
      name: 'namespaces',
      async run() {
        const present = await readdir('/proc/self/ns').catch(() => [] as string[]);
        const max = await readFile('/proc/sys/user/max_user_namespaces', 'utf8').then(Number, () => undefined);
        return namespacesVerdict(present, max);
      },
    },
  ];
}
