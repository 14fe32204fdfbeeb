import { readFile } from 'node:fs/promises';
import { readProcFile, runAllowFail, type RunResult } from '../../process.js';
import { systemdIsPid1 } from '../host.js';
import { COMMAND_TIMEOUT_MS, fail, ok, warn, type Check, type Verdict } from './verdict.js';

export type CgroupLayout = 'unified' | 'hybrid' | 'legacy' | 'none';

/** The cgroup layout from /proc/mounts: v2 at /sys/fs/cgroup, v1 with v2 at …/unified, v1 only. */
export function cgroupLayout(procMounts: string): CgroupLayout {
  const mounts = procMounts.split('\n').map(l => l.split(' ')).filter(f => f.length >= 3).map(f => ({ target: f[1], type: f[2] }));
  // the last mount on a path is the one in effect
  const top = mounts.filter(m => m.target === '/sys/fs/cgroup').pop();
  if (top?.type === 'cgroup2') return 'unified';
  const v1 = mounts.some(m => m.type === 'cgroup' && m.target.startsWith('/sys/fs/cgroup/'));
  if (v1) return mounts.some(m => m.type === 'cgroup2' && m.target === '/sys/fs/cgroup/unified') ? 'hybrid' : 'legacy';
  return 'none';
}

const V1_GONE = 'OS images with systemd 258 or newer (rolling ones: Arch, Tumbleweed) will not boot, as it dropped cgroup v1 (257 still boots)';

export function cgroupVerdict(layout: CgroupLayout): Verdict {
  const fix = 'boot the host with systemd.unified_cgroup_hierarchy=1 on the kernel command line';
  switch (layout) {
    case 'unified': return ok('cgroup', 'cgroup v2 (unified) at /sys/fs/cgroup');
    // nspawn hands OS containers the host's layout; Debian 13's systemd 257 boots on hybrid, but 258 dropped cgroup v1
    case 'hybrid': return warn('cgroup', `hybrid: cgroup v1 controllers, v2 at /sys/fs/cgroup/unified; ${V1_GONE}`, fix);
    case 'legacy': return warn('cgroup', `cgroup v1 only; ${V1_GONE}`, fix);
    case 'none': return fail('cgroup', 'no cgroup file system mounted at /sys/fs/cgroup', 'mount -t cgroup2 cgroup2 /sys/fs/cgroup');
  }
}

/** systemd as PID 1 is not required; it changes how containers are registered and entered. */
export function pid1Verdict(systemdBooted: boolean, pid1Comm: string): Verdict {
  if (systemdBooted) {
    return ok('pid1', 'systemd is PID 1: containers register with systemd-machined (machinectl list shows them)');
  }
  return ok('pid1', `PID 1 is ${pid1Comm || 'unknown'}, not systemd: containers run with --register=no --keep-unit, `
    + 'machinectl does not see them, and racker exec enters them with racker-enter');
}

/** Where PID 1 is systemd, nspawn --register=yes needs machined to answer on the bus. */
export function machinedVerdict(systemdBooted: boolean, answer?: Pick<RunResult, 'exitCode' | 'timedOut' | 'stderr'> | 'no-client'): Verdict {
  if (!systemdBooted) return ok('machined', 'not used: PID 1 is not systemd');
  const fix = 'apt-get install systemd-container && systemctl start systemd-machined';
  if (answer === undefined || answer === 'no-client') return fail('machined', 'neither machinectl nor busctl is there to reach systemd-machined', fix);
  if (answer.exitCode === 0) return ok('machined', 'systemd-machined answers (machinectl list)');
  const why = answer.timedOut ? `no answer within ${COMMAND_TIMEOUT_MS} ms` : (answer.stderr.trim().split('\n').pop() ?? `exit code ${answer.exitCode}`);
  return fail('machined', `systemd-machined is not reachable: ${why.slice(0, 200)}`, fix);
}

async function askMachined(): Promise<RunResult | 'no-client'> {
  const opts = { timeout: COMMAND_TIMEOUT_MS };
  try {
    return await runAllowFail('machinectl', ['list', '--no-legend', '--no-pager'], opts);
  } catch {
    // a method call starts machined by bus activation, as nspawn's registration does
    try {
      return await runAllowFail('busctl', ['call', 'org.freedesktop.machine1', '/org/freedesktop/machine1', 'org.freedesktop.machine1.Manager', 'ListMachines'], opts);
    } catch {
      return 'no-client';
    }
  }
}

export function systemdChecks(): Check[] {
  return [
    { name: 'cgroup', run: async () => cgroupVerdict(cgroupLayout(await readProcFile('/proc/mounts'))) },
    { name: 'pid1', run: async () => pid1Verdict(systemdIsPid1(), (await readFile('/proc/1/comm', 'utf8').catch(() => '')).trim()) },
    { name: 'machined', run: async () => machinedVerdict(systemdIsPid1(), systemdIsPid1() ? await askMachined() : undefined) },
  ];
}
