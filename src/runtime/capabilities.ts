import type { ParityOptions } from '../model/parity.js';

/** nspawn's default capability set (systemd-nspawn(1)), racker's default too */
export const NSPAWN_DEFAULT_CAPS = [
  'AUDIT_CONTROL', 'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'IPC_OWNER', 'KILL', 'LEASE',
  'LINUX_IMMUTABLE', 'MKNOD', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_RAW', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_ADMIN',
  'SYS_BOOT', 'SYS_CHROOT', 'SYS_NICE', 'SYS_PTRACE', 'SYS_RESOURCE', 'SYS_TTY_CONFIG',
];
/** every capability of Linux 5.9+ (capabilities(7)) */
export const ALL_CAPS = [
  ...NSPAWN_DEFAULT_CAPS, 'AUDIT_READ', 'BLOCK_SUSPEND', 'BPF', 'CHECKPOINT_RESTORE', 'IPC_LOCK', 'MAC_ADMIN', 'MAC_OVERRIDE',
  'NET_ADMIN', 'PERFMON', 'SYS_MODULE', 'SYS_PACCT', 'SYS_RAWIO', 'SYS_TIME', 'SYSLOG', 'WAKE_ALARM',
];

/** The capabilities the container ends up with: nspawn's default, plus --cap-add, minus --cap-drop (docker's order: drop ALL, then add). */
export function effectiveCaps(p: Pick<ParityOptions, 'capAdd' | 'capDrop' | 'privileged'>): string[] {
  if (p.privileged) return [...ALL_CAPS];
  const add = p.capAdd ?? [];
  const drop = p.capDrop ?? [];
  if (add.includes('ALL')) return ALL_CAPS.filter(c => !drop.includes(c));
  const base = drop.includes('ALL') ? [] : NSPAWN_DEFAULT_CAPS.filter(c => !drop.includes(c));
  return ALL_CAPS.filter(c => base.includes(c) || add.includes(c));
}

/** Does the (checked) --security-opt list ask for no-new-privileges? */
export function noNewPrivileges(p: Pick<ParityOptions, 'securityOpt'>): boolean {
  return (p.securityOpt ?? []).some(o => /^no-new-privileges(?:[:=]true)?$/.test(o));
}
