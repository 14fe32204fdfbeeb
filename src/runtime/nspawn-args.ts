import type { ParityOptions } from '../model/parity.js';
import { parityNspawnArgs } from './parity-args.js';

/** Everything systemd-nspawn needs to know to start one container. */
export interface NspawnSpec {
  machine: string;
  directory: string;
  argv: string[];
  /** on nspawn's command line, which every local user can read: only what is no secret (provisioning) */
  env: [string, string][];
  /** the container's environment, kept off the command line (nspawn-env.ts: --settings=trusted or --setenv=NAME) */
  envArgs?: string[];
  workdir?: string;
  user?: string;
  hostname?: string;
  tty: boolean;
  binds: { source: string; target: string; readOnly: boolean }[];
  /** register with systemd-machined (only where PID 1 is systemd) */
  register: boolean;
  /** signal nspawn sends to the container's PID 1 when nspawn gets SIGTERM */
  killSignal?: string;
  /** boot the image's init (systemd) as PID 1; argv then holds init's arguments */
  boot?: boolean;
  /** options made elsewhere (network namespace, tmpfs mounts, --read-only), before the command */
  extra?: string[];
  /** limits, capabilities, devices (engine/parity.ts); on systemd hosts (register) the cgroup limits become --property= */
  parity?: ParityOptions;
}

/** nspawn separates --bind fields with ':'; a literal ':' in a path is written '\:'. */
export function escapeBindPath(p: string): string {
  return p.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
}

export function buildNspawnArgs(spec: NspawnSpec): string[] {
  const args = [
    '--quiet',
    `--directory=${spec.directory}`,
    `--machine=${spec.machine}`,
    // racker writes /etc/hostname into the rootfs; /etc/hosts and resolv.conf are its own files, bound (etc-files.ts)
    '--resolv-conf=off',
    '--timezone=off',
    '--link-journal=no',
    `--console=${spec.tty ? 'interactive' : 'pipe'}`,
  ];
  if (spec.boot) args.push('--boot');
  if (spec.register) args.push('--register=yes');
  else args.push('--register=no', '--keep-unit');
  if (spec.killSignal) args.push(`--kill-signal=${spec.killSignal}`);
  if (spec.hostname) args.push(`--hostname=${spec.hostname}`);
  // in boot mode these belong to the command racker runs later, not to init
  if (spec.workdir && !spec.boot) args.push(`--chdir=${spec.workdir}`);
  if (spec.user && !spec.boot) args.push(`--user=${spec.user}`);
  for (const [k, v] of spec.env) args.push(`--setenv=${k}=${v}`);
  args.push(...spec.envArgs ?? []);
  for (const b of spec.binds) {
    args.push(`--${b.readOnly ? 'bind-ro' : 'bind'}=${escapeBindPath(b.source)}:${escapeBindPath(b.target)}`);
  }
  if (spec.parity) args.push(...parityNspawnArgs(spec.parity, { boot: !!spec.boot, systemdHost: spec.register }));
  args.push(...spec.extra ?? []);
  args.push('--', ...spec.argv);
  return args;
}
