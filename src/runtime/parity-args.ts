import { lstat, stat } from 'node:fs/promises';
import { RackerError } from '../errors.js';
import { effectiveCaps, NSPAWN_DEFAULT_CAPS, noNewPrivileges } from './capabilities.js';
import type { ParityOptions } from '../model/parity.js';
import { runAllowFail } from '../process.js';
import { resolveInRoot } from './rootfs-path.js';
import { NSPAWN_TASKS } from './cgroups.js';

/** What of ParityOptions systemd-nspawn applies itself, as its arguments (docs/run.md). */
export function parityNspawnArgs(p: ParityOptions, opts: { boot: boolean; systemdHost: boolean }): string[] {
  const args: string[] = [];
  if (p.capAdd || p.capDrop || p.privileged) {
    const eff = effectiveCaps(p);
    const add = eff.filter(c => !NSPAWN_DEFAULT_CAPS.includes(c));
    const drop = NSPAWN_DEFAULT_CAPS.filter(c => !eff.includes(c));
    if (add.length) args.push(`--capability=${add.map(c => `CAP_${c}`).join(',')}`);
    if (drop.length) args.push(`--drop-capability=${drop.map(c => `CAP_${c}`).join(',')}`);
  }
  if (noNewPrivileges(p)) args.push('--no-new-privileges=yes');
  for (const u of p.ulimits ?? []) args.push(`--rlimit=RLIMIT_${u.name.toUpperCase()}=${u.soft}:${u.hard}`);
  if (p.init && !opts.boot) args.push('--as-pid2');
  if (p.shmSize) args.push(`--tmpfs=/dev/shm:mode=1777,size=${p.shmSize}`);
  if (p.timezone === 'local') args.push('--timezone=copy');
  if (opts.systemdHost) {
    // nspawn's scope: DevicePolicy=closed with its own short list (docs/run.md, "Devices"); --privileged lifts it
    if (p.privileged) args.push('--property=DevicePolicy=auto', '--property=DeviceAllow=');
    // the node on the host (systemd looks its number up there), read/write as asked; an empty access would mean rwm
    else for (const d of p.devices ?? []) args.push(`--property=DeviceAllow=${d.hostPath} ${d.permissions.replace(/m/g, '') || 'm'}`);
    if (p.memory) args.push(`--property=MemoryMax=${p.memory}`);
    if (p.memoryReservation) args.push(`--property=MemoryLow=${p.memoryReservation}`);
    if (p.memorySwap !== undefined) args.push(`--property=MemorySwapMax=${p.memorySwap === -1 ? 'infinity' : p.memorySwap - p.memory!}`);
    if (p.nanoCpus) args.push(`--property=CPUQuota=${Math.round(p.nanoCpus / 1e7)}%`);
    if (p.cpuShares) args.push(`--property=CPUWeight=${Math.max(1, Math.min(10000, Math.round(p.cpuShares * 100 / 1024)))}`);
    if (p.pidsLimit) args.push(`--property=TasksMax=${p.pidsLimit + NSPAWN_TASKS}`);
  }
  return args;
}

/**
 * The environment nspawn is started with. A container in a network namespace of
 * its own that holds CAP_NET_ADMIN gets /proc/sys/net writable, as nspawn's own
 * --private-network does (racker hands nspawn the namespace by path, for which
 * nspawn keeps /proc/sys read-only): sysctls there are the container's own.
 */
export function nspawnEnv(p: ParityOptions, ownNetns: boolean): NodeJS.ProcessEnv | undefined {
  if (!ownNetns || !effectiveCaps(p).includes('NET_ADMIN')) return undefined;
  return { SYSTEMD_NSPAWN_API_VFS_WRITABLE: 'network' };
}

type Bind = { source: string; target: string; readOnly: boolean };

/** the image's standard places for the CA bundle: Debian/Ubuntu/Alpine, Fedora/RHEL, Alpine/LibreSSL */
const CA_TARGETS = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];
const HOST_CA = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'];

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}

/**
 * Binds and variables for --device, --tz ZONE and --host-ca-certs. Host paths
 * are checked on the host (they are the user's); places in the image are
 * looked at inside the rootfs only, and nspawn makes the mount points inside.
 */
export async function parityBinds(p: ParityOptions, rootfs: string): Promise<{ binds: Bind[]; env: [string, string][] }> {
  const binds: Bind[] = [];
  const env: [string, string][] = [];
  for (const d of p.devices ?? []) {
    const st = await lstat(d.hostPath).catch(() => undefined);
    if (!st || !(st.isCharacterDevice() || st.isBlockDevice())) {
      throw new RackerError(`--device ${d.hostPath.slice(0, 200)}: not a device on this host`, { hint: 'give a character or block device under /dev, such as /dev/fuse' });
    }
    binds.push({ source: d.hostPath, target: d.containerPath, readOnly: !d.permissions.includes('w') });
  }
  if (p.timezone && p.timezone !== 'local') {
    binds.push({ source: `/usr/share/zoneinfo/${p.timezone}`, target: '/etc/localtime', readOnly: true });
    env.push(['TZ', p.timezone]);
  }
  if (p.hostCaCerts) {
    const hostCa = (await Promise.all(HOST_CA.map(async f => (await isFile(f) ? f : undefined)))).find(Boolean);
    if (!hostCa) throw new RackerError('--host-ca-certs: the host has no CA bundle', { hint: `expected one of ${HOST_CA.join(', ')} (apt-get install ca-certificates)` });
    const present: string[] = [];
    for (const t of CA_TARGETS) if (await isFile(await resolveInRoot(rootfs, t).catch(() => '/nonexistent'))) present.push(t);
    for (const t of present.length ? present : [CA_TARGETS[0]]) binds.push({ source: hostCa, target: t, readOnly: true });
  }
  return { binds, env };
}

/**
 * --sysctl: written into the container's own IPC namespace from the host
 * (nsenter --ipc, the host's sysctl), right after the container starts.
 */
export async function applySysctls(p: ParityOptions, leader: number): Promise<void> {
  for (const [k, v] of Object.entries(p.sysctls ?? {})) {
    const r = await runAllowFail('nsenter', [`--target=${leader}`, '--ipc', '--', 'sysctl', '-q', '-w', `${k}=${v}`]);
    if (r.exitCode !== 0) throw new RackerError(`--sysctl ${k}=${v} could not be set: ${r.stderr.trim().slice(0, 200)}`, { hint: 'check the value (sysctl(8))' });
  }
}
