import { RackerError } from '../errors.js';
import { shown } from '../untrusted.js';
import { checkEnvSize, isValidEnvName } from '../runtime/env.js';
import { isValidHostname } from '../model/hostname.js';
import { checkMountInput } from '../runtime/mount-spec.js';
import { checkVolumeTarget } from '../runtime/volumes.js';
import type { TmpfsMount, VolumeMount, VolumeSpec } from '../model/mounts.js';
import { containerWorkdir } from '../runtime/workdir.js';
import { type ContainerSpec, validateContainerName } from '../model/container.js';
import { networkSpecFor, type NetworkInput } from './network-spec.js';
import type { ImageRecord } from '../model/image.js';
import { imageParity, parityFor, type ParityOptions } from './parity.js';

export type { ContainerSpec } from '../model/container.js';

/** What a caller says about a container to be made; `specFor` turns it into the one stored ContainerSpec. */
export interface ContainerSpecInput extends ParityOptions {
  /** image reference, curated label or id, as the caller named it */
  image: string;
  /** how `ps` and `inspect` name the image, when not as `image` (e.g. a label for an id) */
  imageName?: string;
  /** replaces the image's Cmd when not empty */
  command?: string[];
  /** replaces the image's Entrypoint ('' clears it) */
  entrypoint?: string;
  /** boot systemd as PID 1 (default: what the image's resolver says, else false) */
  boot?: boolean;
  name?: string;
  env?: [string, string][];
  workdir?: string;
  user?: string;
  hostname?: string;
  volumes?: VolumeSpec[];
  tty?: boolean;
  interactive?: boolean;
  autoRemove?: boolean;
  /** seconds between SIGTERM and SIGKILL on stop (default 10) */
  stopTimeout?: number;
  /** seconds systemd may take to boot (default 60) */
  bootTimeout?: number;
  /** named/anonymous volumes and tmpfs mounts (bind mounts go in `volumes`) */
  mounts?: (VolumeMount | TmpfsMount)[];
  /** mount the image read-only (--read-only) */
  readOnly?: boolean;
  /** where its network is: --network, -p, --dns, … */
  net?: NetworkInput;
  /** stored as given (docker's --label; compose's project/service labels) */
  labels?: Record<string, string>;
}

export const DEFAULT_STOP_TIMEOUT = 10;
export const DEFAULT_BOOT_TIMEOUT = 60;

/** docker's rule: Entrypoint + Cmd, where a given command replaces Cmd and an entrypoint replaces Entrypoint. */
export function commandLine(config: ImageRecord['config']['config'], command: string[], entrypoint?: string): string[] {
  const ep = entrypoint !== undefined ? (entrypoint === '' ? [] : [entrypoint]) : (config?.Entrypoint ?? []);
  const cmd = command.length ? command : (entrypoint !== undefined ? [] : (config?.Cmd ?? []));
  return [...ep, ...cmd];
}

function timeout(value: number | undefined, fallback: number, what: string, allowZero: boolean): number {
  const n = value ?? fallback;
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) throw new RackerError(`invalid ${what} ${String(value)}`, { hint: 'a number of seconds' });
  return n;
}

/**
 * No string anywhere in the input holds a NUL byte: nothing racker hands on
 * (nspawn's argv, files, the kernel) can carry one, and Node would throw a
 * TypeError instead of a refusal. The CLI's argv cannot hold one; the API can.
 */
function noNulBytes(value: unknown, at: string): void {
  if (typeof value === 'string') {
    if (value.includes('\0')) throw new RackerError(`${at || 'a value'} contains a NUL byte`, { hint: 'strings given to racker cannot contain NUL bytes' });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => noNulBytes(v, `${at}[${i}]`));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      noNulBytes(k, `${at ? `${at}.` : ''}${shown(k, 80)} (a key)`);
      noNulBytes(v, at ? `${at}.${shown(k, 80)}` : shown(k, 80));
    }
  }
}

/**
 * The one place a container's description is checked: everything systemd-nspawn
 * would refuse (and report as the command's exit code 1) is refused here with
 * 125 and one line. This part needs no image, so it runs before any pull.
 */
export function checkSpecInput(input: ContainerSpecInput): void {
  if (input.name !== undefined) validateContainerName(input.name);
  if (input.hostname !== undefined && !isValidHostname(input.hostname)) {
    throw new RackerError(`invalid hostname '${input.hostname.slice(0, 80)}'`, { hint: 'dot-separated labels of letters, digits and dashes (no label starts or ends with a dash), at most 63 characters' });
  }
  for (const [k, v] of input.env ?? []) {
    if (!isValidEnvName(k)) throw new RackerError(`invalid environment variable name ${JSON.stringify(k.slice(0, 80))}`, { hint: 'names are letters, digits and _ and do not start with a digit (systemd-nspawn refuses others)' });
    if (v.includes('\0')) throw new RackerError(`environment variable ${k} contains a NUL byte`);
  }
  checkEnvSize(input.env ?? []);
  for (const [k, v] of Object.entries(input.labels ?? {})) {
    if (!k || typeof v !== 'string' || k.includes('\0') || v.includes('\0')) throw new RackerError(`invalid label ${JSON.stringify(k.slice(0, 80))}`, { hint: 'labels are KEY=VALUE strings without NUL bytes' });
  }
  noNulBytes(input, '');
  checkMountInput(input.volumes ?? [], input.mounts ?? []);
  const targets = [...(input.volumes ?? []), ...(input.mounts ?? [])].map(m => checkVolumeTarget(m.target));
  const twice = targets.find((t, i) => targets.indexOf(t) !== i);
  if (twice) throw new RackerError(`duplicate mount point: ${twice}`, { hint: 'mount one thing per container path' });
  networkSpecFor(input.net ?? {}, { quiet: true });
  if (input.workdir !== undefined) containerWorkdir(input.workdir, undefined);
  timeout(input.stopTimeout, DEFAULT_STOP_TIMEOUT, 'stop timeout', true);
  timeout(input.bootTimeout, DEFAULT_BOOT_TIMEOUT, 'boot timeout', false);
  parityFor(input, input.boot === undefined ? undefined : input.boot ? 'boot' : 'app');
}

/** The stored spec for `input` on `image`: the rest of the checks, and the command line resolved. */
export function specFor(input: ContainerSpecInput, image: ImageRecord, imageName: string, boot: boolean, detached = false): ContainerSpec {
  checkSpecInput(input);
  const workdir = input.workdir === undefined ? undefined : containerWorkdir(input.workdir, undefined);
  // the image's own WorkingDir must be usable too (-w replaces it)
  if (workdir === undefined) containerWorkdir(undefined, image.config.config?.WorkingDir);
  // a booted container started detached without a command just stays up: the image's Cmd is for attached runs
  const bare = boot && detached && !(input.command ?? []).length && input.entrypoint === undefined;
  const command = bare ? [] : commandLine(image.config.config, input.command ?? [], input.entrypoint);
  const network = networkSpecFor(input.net ?? {});
  if (!boot && command.length === 0) {
    throw new RackerError('no command specified', { hint: 'the image has no Entrypoint or Cmd: give a command after the image name' });
  }
  return {
    mode: boot ? 'boot' : 'app',
    image: image.id,
    imageName,
    command,
    env: input.env ?? [],
    workdir,
    user: input.user,
    hostname: input.hostname,
    volumes: (input.volumes ?? []).map(v => ({ ...v, target: checkVolumeTarget(v.target) })),
    tty: !!input.tty,
    interactive: !!input.interactive,
    name: input.name,
    autoRemove: !!input.autoRemove,
    stopTimeout: timeout(input.stopTimeout, DEFAULT_STOP_TIMEOUT, 'stop timeout', true),
    bootTimeout: timeout(input.bootTimeout, DEFAULT_BOOT_TIMEOUT, 'boot timeout', false),
    ...(input.mounts?.length ? { mounts: input.mounts.map(m => ({ ...m, target: checkVolumeTarget(m.target) })) } : {}),
    ...(input.readOnly ? { readOnly: true } : {}),
    ...(network ? { network } : {}),
    // limits, capabilities, devices, labels, health (docs/run.md); the image's Labels, StopSignal and Healthcheck under them
    ...parityFor(imageParity(input, image.config.config), boot ? 'boot' : 'app'),
  };
}
