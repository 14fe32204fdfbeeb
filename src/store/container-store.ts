import { randomHex } from '../random.js';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { RackerError, isErrno } from '../errors.js';
import { shortId } from '../image/digest.js';
import { writeFileAtomic } from './atomic.js';
import { withLock } from '../lock.js';
import type { StoreLayout } from './layout.js';
import type { ParityOptions } from './parity-spec.js';
import type { HealthState } from './parity-spec.js';

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
  volumes: { source: string; target: string; readOnly: boolean }[];
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

export interface VolumeMount { kind: 'volume'; name: string; target: string; readOnly: boolean; anonymous: boolean; noCopy: boolean }
export interface TmpfsMount { kind: 'tmpfs'; target: string; size?: number; mode?: number; readOnly: boolean; flags: string[] }

/** docker's -p: traffic to hostIp:hostPort goes to the container's containerPort. */
export interface PublishedPort { hostIp?: string; hostPort: number; containerPort: number; protocol: 'tcp' | 'udp' }

export interface NetworkSpec {
  /** host: the host's; none: only lo; bridge: private networks; container: another container's */
  mode: 'host' | 'none' | 'bridge' | 'container';
  /** bridge mode: the networks, the first one routes to the outside */
  networks: { name: string; aliases: string[]; ip?: string }[];
  /** container mode: the other container's id */
  container?: string;
  publish: PublishedPort[];
  /** -P: every port the image EXPOSEs, to free host ports */
  publishAll: boolean;
  dns: string[];
  /** --add-host NAME:IP */
  addHosts: { ip: string; names: string[] }[];
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

type StoredSpec = Partial<ContainerSpec> & { mode?: 'app' | 'boot' };

/** A record written by an older racker kept a smaller spec (or none): fill in what it did not keep. */
function upgrade(rec: Omit<ContainerRecord, 'spec'> & { spec?: StoredSpec }): ContainerRecord {
  const s = rec.spec ?? {};
  return {
    ...rec,
    spec: {
      ...s,
      mode: s.mode ?? 'app', image: s.image ?? rec.image, imageName: s.imageName ?? rec.imageName, command: s.command ?? rec.argv,
      env: s.env ?? [], workdir: s.workdir, user: s.user, hostname: s.hostname, volumes: s.volumes ?? [],
      tty: s.tty ?? false, interactive: s.interactive ?? false, name: s.name ?? rec.name, autoRemove: s.autoRemove ?? rec.autoRemove,
      stopTimeout: s.stopTimeout ?? 10, bootTimeout: s.bootTimeout ?? 60,
    },
  };
}

/** docker's rule for container names; also keeps them safe as machine names and paths. */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

export function validateContainerName(name: string): void {
  if (!NAME.test(name) || name.includes('..')) {
    throw new RackerError(`invalid container name '${name.slice(0, 80)}'`, { hint: 'use letters, digits, _ . - (start with a letter or digit, at most 63 characters)' });
  }
}

export class ContainerStore {
  constructor(private readonly layout: StoreLayout) {}

  dir(id: string): string {
    if (!/^[a-f0-9]{64}$/.test(id)) throw new RackerError(`invalid container id '${id.slice(0, 80)}'`);
    return path.join(this.layout.containersDir, id);
  }

  /** The mark of the process that runs the container now (runtime/container-processes.ts). */
  supervisionMark(id: string): string {
    this.dir(id);
    return path.join(this.layout.supervisorDir, id);
  }

  get supervisorDir(): string { return this.layout.supervisorDir; }

  async list(): Promise<ContainerRecord[]> {
    const ids = await readdir(this.layout.containersDir).catch(err => {
      if (isErrno(err, 'ENOENT')) return [] as string[];
      throw err;
    });
    const out: ContainerRecord[] = [];
    for (const id of ids) {
      if (!/^[a-f0-9]{64}$/.test(id)) continue;
      const rec = await this.read(id);
      if (rec) out.push(rec);
    }
    return out;
  }

  async read(id: string): Promise<ContainerRecord | undefined> {
    try {
      return upgrade(JSON.parse(await readFile(path.join(this.dir(id), 'config.json'), 'utf8')) as ContainerRecord);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  async write(rec: ContainerRecord): Promise<void> {
    // a --rm container does not outlive its run, nor a crash of the host: its record need not reach the disk
    const dir = this.dir(rec.id);
    await writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify(rec, null, 2), dir, { durable: !rec.autoRemove });
  }

  /** Create a container for `spec` on the image's `layers`, in state created. */
  async create(spec: ContainerSpec, layers: string[]): Promise<ContainerRecord> {
    await this.layout.ensure();
    return withLock(this.layout.lock('containers'), async () => {
      const id = randomHex(32);
      const name = spec.name ?? `racker-${shortId(id)}`;
      validateContainerName(name);
      const clash = (await this.list()).find(c => c.name === name);
      if (clash) {
        throw new RackerError(`the container name "${name}" is already in use by container ${shortId(clash.id)}`, { hint: `remove that container (racker rm ${name}) or choose another --name` });
      }
      const rec: ContainerRecord = {
        id, name, image: spec.image, imageName: spec.imageName, layers, argv: spec.command, created: new Date().toISOString(),
        autoRemove: spec.autoRemove, spec: { ...spec, name }, state: { status: 'created' },
      };
      await mkdir(this.dir(id), { recursive: true, mode: 0o700 });
      await this.write(rec);
      return rec;
    });
  }

  /** By exact name, full id, or unique id prefix (docker's rules). */
  async find(nameOrId: string): Promise<ContainerRecord | undefined> {
    const all = await this.list();
    const byName = all.find(c => c.name === nameOrId);
    if (byName) return byName;
    if (!/^[a-f0-9]{1,64}$/.test(nameOrId)) return undefined;
    const matches = all.filter(c => c.id.startsWith(nameOrId));
    if (matches.length > 1) throw new RackerError(`container id prefix '${nameOrId}' is ambiguous`, { hint: 'give more digits or the name' });
    return matches[0];
  }

  async get(nameOrId: string): Promise<ContainerRecord> {
    const rec = await this.find(nameOrId);
    if (!rec) throw new RackerError(`No such container: ${nameOrId}`, { hint: 'racker ps -a lists containers' });
    return rec;
  }

  async remove(id: string): Promise<void> {
    await rm(this.dir(id), { recursive: true, force: true });
    // a mark a killed supervisor left
    await rm(this.supervisionMark(id), { force: true });
  }
}
