import { nativeTool } from '../../native-tool.js';
import type { ParityOptions } from '../../model/parity.js';
import { effectiveCaps, noNewPrivileges } from '../capabilities.js';

/**
 * The one way racker starts a process in a running container (exec, health
 * checks, the commands it runs in booted containers): through the native
 * helper racker-enter (src/native/racker-enter.c), which gives the process
 * what the container's own payload has: its cgroups (and so its limits and
 * device rules), seccomp filters, namespaces and root, capability sets,
 * no_new_privs and user. A plain `nsenter --all` would run it with the host's
 * full privileges: a container that replaced a binary racker runs there would
 * get host root. docs/lifecycle.md ("exec").
 */
export interface Confinement {
  /** the container's PID 1, as a host pid */
  leader: number;
  /** what the container grants (cap-add/cap-drop/privileged, no-new-privileges); undefined: what its leader has */
  spec?: Pick<ParityOptions, 'capAdd' | 'capDrop' | 'privileged' | 'securityOpt'>;
  /** numeric ids inside the container; default root */
  user?: { uid: number; gid: number; groups?: number[] };
  /** inside the container; default / */
  cwd?: string;
  /** the command's whole environment, on the helper's command line: only for values that are neither secret nor the container's */
  env?: [string, string][];
  /** the command's whole environment comes in the helper's own environment, encoded by encodedEnv() */
  envEncoded?: boolean;
}

const ENCODED_ENV = 'RACKER_ENTER_ENV_';

/**
 * The helper's whole environment when the command's is a container's (the
 * image's Env, the user's values, secrets): off any command line, and under
 * names that neither the host's dynamic loader nor libc reads (an image's
 * LD_PRELOAD must not reach the host-side helper). Start the helper with
 * exactly this environment and --env-encoded (confinedCommand's envEncoded).
 */
export function encodedEnv(env: readonly [string, string][]): Record<string, string> {
  return Object.fromEntries(env.map(([k, v], i) => [`${ENCODED_ENV}${i}`, `${k}=${v}`]));
}

/** Linux's capability numbers (capabilities(7)) */
const CAP_NUMBER: Record<string, number> = {
  CHOWN: 0, DAC_OVERRIDE: 1, DAC_READ_SEARCH: 2, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7, SETPCAP: 8,
  LINUX_IMMUTABLE: 9, NET_BIND_SERVICE: 10, NET_BROADCAST: 11, NET_ADMIN: 12, NET_RAW: 13, IPC_LOCK: 14, IPC_OWNER: 15,
  SYS_MODULE: 16, SYS_RAWIO: 17, SYS_CHROOT: 18, SYS_PTRACE: 19, SYS_PACCT: 20, SYS_ADMIN: 21, SYS_BOOT: 22, SYS_NICE: 23,
  SYS_RESOURCE: 24, SYS_TIME: 25, SYS_TTY_CONFIG: 26, MKNOD: 27, LEASE: 28, AUDIT_WRITE: 29, AUDIT_CONTROL: 30, SETFCAP: 31,
  MAC_OVERRIDE: 32, MAC_ADMIN: 33, SYSLOG: 34, WAKE_ALARM: 35, BLOCK_SUSPEND: 36, AUDIT_READ: 37, PERFMON: 38, BPF: 39,
  CHECKPOINT_RESTORE: 40,
};

/** A capability list as the helper's hexadecimal mask (bit n = capability n). */
export function capMask(caps: readonly string[]): string {
  let mask = 0n;
  for (const c of caps) {
    const n = CAP_NUMBER[c];
    if (n === undefined) throw new Error(`unknown capability ${c}`);
    mask |= 1n << BigInt(n);
  }
  return mask.toString(16);
}

/**
 * The host command that runs `argv` (an argument vector, never a shell line)
 * confined as the container's payload. The helper also bounds the capabilities
 * by the leader's own bounding set and takes its no_new_privs, so a container
 * can only lose privileges here, never gain them.
 */
export function confinedCommand(c: Confinement, argv: readonly string[]): { cmd: string; args: string[] } {
  if (!Number.isSafeInteger(c.leader) || c.leader <= 1) throw new Error(`bad container leader ${c.leader}`);
  if (argv.length === 0) throw new Error('no command');
  const args = ['--pid', String(c.leader)];
  if (c.spec) {
    args.push('--caps', capMask(effectiveCaps(c.spec)));
    if (noNewPrivileges(c.spec)) args.push('--nnp');
  }
  if (c.user) {
    args.push('--uid', String(c.user.uid), '--gid', String(c.user.gid));
    if (c.user.groups?.length) args.push('--groups', c.user.groups.join(','));
  }
  if (c.cwd) args.push('--cwd', c.cwd);
  // racker inside a container of its own cannot read the container's filters (docs/lifecycle.md): only when asked
  if (process.env.RACKER_NESTED_SECCOMP === 'inherit') args.push('--nested-seccomp-inherit');
  for (const [k, v] of c.env ?? []) args.push('--env', `${k}=${v}`);
  if (c.envEncoded) args.push('--env-encoded');
  return { cmd: nativeTool('racker-enter'), args: [...args, '--', ...argv] };
}
