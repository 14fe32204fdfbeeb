import { RackerError } from '../errors.js';
import type { TmpfsMount, VolumeMount, VolumeSpec } from './mounts.js';
import type { NetworkSpec, PublishedPort } from './network.js';
import type { HealthState, ParityOptions } from './parity.js';

/** A container: its one spec (what it is) and its record in the store (what became of it). */

/**
 * The container's PID 1 as the host sees it, named so that a reused pid is
 * never taken for it: its pid, its PID namespace and its start time.
 */
export interface LeaderIdentity {
  pid: number;
  /** /proc/PID/ns/pid as readlink shows it: "pid:[INODE]" */
  pidns: string;
  /** field 22 of /proc/PID/stat */
  start: string;
}

export interface ContainerState {
  status: 'created' | 'running' | 'exited';
  /** pid of racker supervising it (its lock token, "pid starttime") */
  supervisor?: string;
  nspawnPid?: number;
  /** systemd-nspawn's start time (/proc/PID/stat field 22): a reused nspawnPid is not it */
  nspawnStart?: string;
  /** the container's PID 1: SIGKILL to it ends the container's whole PID namespace */
  leader?: LeaderIdentity;
  exitCode?: number;
  /** set by racker when it SIGKILLs the container (nspawn then reports only 1; docker says 137) */
  killedBy?: string;
  startedAt?: string;
  finishedAt?: string;
  /** host ports published for it while it runs */
  ports?: PublishedPort[];
  /** killed by the kernel for going over --memory */
  oomKilled?: boolean;
  /** cgroup directories racker made for the container's limits (removed when it ends) */
  cgroups?: string[];
  /** the health check's state, kept by the supervisor */
  health?: HealthState;
}

/**
 * The one description of a container, made once (engine/spec.ts checks it),
 * stored with it, and read by everything after: the runners, start and
 * restart, inspect. Nothing about a container is passed around beside it.
 */
export interface ContainerSpec extends ParityOptions {
  mode: 'app' | 'boot';
  /** image id (config digest) */
  image: string;
  /** the image as the user named it */
  imageName: string;
  /** what runs: Entrypoint + Cmd resolved (boot mode: the command run inside once booted; may be empty when detached) */
  command: string[];
  env: [string, string][];
  workdir?: string;
  user?: string;
  hostname?: string;
  volumes: VolumeSpec[];
  tty: boolean;
  interactive: boolean;
  name?: string;
  autoRemove: boolean;
  /** seconds between SIGTERM and SIGKILL */
  stopTimeout: number;
  /** seconds systemd may take to boot */
  bootTimeout: number;
  /** named and anonymous volumes, tmpfs mounts (bind mounts are `volumes`) */
  mounts?: (VolumeMount | TmpfsMount)[];
  /** the image's root filesystem mounted read-only (--read-only) */
  readOnly?: boolean;
  /** absent: the host's network, as systemd-nspawn does by default */
  network?: NetworkSpec;
  /** docker's labels, stored as given (compose finds its containers by them) */
  labels?: Record<string, string>;
}


export interface ContainerRecord {
  id: string;
  name: string;
  image: string;
  imageName: string;
  /** the image's layers it is stacked on, bottom first */
  layers: string[];
  /** = spec.command, kept at the top for ps and older readers */
  argv: string[];
  created: string;
  autoRemove: boolean;
  spec: ContainerSpec;
  state: ContainerState;
}

/** docker's rule for container names; also keeps them safe as machine names and paths. */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

export function validateContainerName(name: string): void {
  if (!NAME.test(name) || name.includes('..')) {
    throw new RackerError(`invalid container name '${name.slice(0, 80)}'`, { hint: 'use letters, digits, _ . - (start with a letter or digit, at most 63 characters)' });
  }
}
