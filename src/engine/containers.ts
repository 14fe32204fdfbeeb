import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { RackerError } from '../errors.js';
import { signalNumber } from '../process.js';
import { askToStop, endProcesses, endSupervisor, isMounted, leftovers, signalMain } from '../runtime/container-processes.js';
import { containerLeader } from '../runtime/host.js';
import { can, mustBeAbleTo } from '../runtime/lifecycle.js';
import { unmount } from '../runtime/overlay.js';
import type { RunIO } from '../runtime/runner.js';
import { checkVolumeSource, checkVolumeTarget } from '../runtime/volumes.js';
import { DEFAULT_NETWORK } from './container-network.js';
import { removeAnonymousVolumes } from '../runtime/container-mounts.js';
import { shown } from '../untrusted.js';
import type { ImageRecord } from '../model/image.js';
import { volumeWarnings } from '../runtime/volume-warnings.js';
import { warn } from '../log.js';
import type { Settings } from '../settings.js';
import type { ContainerStore } from '../store/container-store.js';
import type { ContainerRecord, ContainerSpec } from '../model/container.js';
import { execIn, type ExecOptions, type ExecTarget } from './exec.js';
import { copyIn, copyOut, type CopyOptions } from './copy.js';
import { processesOf } from './top.js';
import type { ImageService, PullOptions, PullPolicy } from './images.js';
import { containerJson } from './inspect.js';
import { containerLogs, type LogEntry, type LogOptions } from './logs.js';
import { listReconciled, reconcile } from './reconcile.js';
import { runnerFor, type RootDeps } from './runners.js';
import { checkSpecInput, specFor, type ContainerSpecInput } from './spec.js';
import { startDetached } from './supervisor.js';
import { writeCidfile } from './cidfile.js';
import { dockerWait, type WaitCondition, type WaitOptions } from './wait.js';
import { notRunning, waitFor, type Want, type WaitForOptions, type WaitResult } from './container-state.js';
import { removeCgroups } from '../runtime/cgroups.js';
import { SignalForwarder } from '../runtime/signal-forwarder.js';
import { byText } from '../compare.js';

export interface CreateOptions extends PullOptions {
  /** when to pull the image (default missing) */
  pull?: PullPolicy;
  /** it will run detached: a booted one without a command then just stays up */
  detached?: boolean;
}

/** How `run` connects to the container: attached (its stdio and exit code) or detached (a supervisor). */
export type Attach = { detach: true } | { detach?: false; stdin?: boolean; output?: 'inherit' | { fd: number } };

/** Containers: create, run, start, stop, kill, remove, exec, logs, inspect — from their one stored spec. */
export class ContainerService {
  readonly store: ContainerStore;

  constructor(private readonly deps: RootDeps, private readonly images: ImageService, private readonly settings: Settings) {
    this.store = deps.containers;
  }

  /** A container for `input`, in state created (its image pulled as `opts.pull` says). */
  async create(input: ContainerSpecInput, opts: CreateOptions = {}): Promise<ContainerRecord> {
    return this.record(input, await this.pulled(input, opts), opts);
  }

  /** The input checked and its image in the store: nothing of the container is made yet. */
  private async pulled(input: ContainerSpecInput, opts: CreateOptions): Promise<ImageRecord> {
    // bad input is refused before anything is pulled
    checkSpecInput(input);
    for (const v of input.volumes ?? []) await checkVolumeSource(v);
    return await this.images.ensure(input.image, opts.pull ?? 'missing', opts);
  }

  /** The container's volumes and record, for its checked input and pulled image. */
  private async record(input: ContainerSpecInput, image: ImageRecord, opts: CreateOptions): Promise<ContainerRecord> {
    const boot = input.boot ?? this.images.resolve(input.image)?.boot ?? false;
    const spec = specFor(input, image, input.imageName ?? input.image, boot, !!opts.detached);
    for (const w of await volumeWarnings(spec.volumes)) warn(w);
    if (spec.network?.mode === 'container') spec.network.container = (await this.get(spec.network.container!)).id;
    for (const n of spec.network?.networks ?? []) {
      if (n.name !== DEFAULT_NETWORK && !await this.deps.networks.store.get(n.name)) {
        throw new RackerError(`network ${n.name} not found`, { hint: `create it first: racker network create ${n.name}` });
      }
    }
    spec.mounts = await this.volumesFor(spec, image);
    if (!spec.mounts.length) delete spec.mounts;
    const rec = await this.store.create(spec, image.layers);
    if (spec.cidfile) await writeCidfile(spec.cidfile, rec.id).catch(async (err: unknown) => { await this.store.remove(rec.id); throw err; });
    return rec;
  }

  /**
   * The spec's volume mounts with their volumes made: a named one is created
   * when missing (as docker does), an anonymous one gets a random name; each
   * VOLUME of the image not otherwise mounted gets an anonymous volume.
   */
  private async volumesFor(spec: ContainerSpec, image: ImageRecord): Promise<NonNullable<ContainerSpec['mounts']>> {
    const out: NonNullable<ContainerSpec['mounts']> = [];
    const taken = new Set([...spec.volumes.map(v => v.target), ...(spec.mounts ?? []).map(m => m.target)]);
    const fromImage = Object.keys(image.config.config?.Volumes ?? {}).flatMap(p => {
      try {
        const target = checkVolumeTarget(p);
        return taken.has(target) ? [] : [{ kind: 'volume' as const, name: '', target, readOnly: false, anonymous: true, noCopy: false }];
      } catch {
        warn(`the image's VOLUME ${shown(p)} cannot be mounted: left out`);
        return [];
      }
    });
    for (const m of [...spec.mounts ?? [], ...fromImage]) {
      if (m.kind !== 'volume') { out.push(m); continue; }
      const { volume } = await this.deps.volumes.create(m.anonymous ? { anonymous: true } : { name: m.name });
      out.push({ ...m, name: volume.Name });
    }
    return out;
  }

  /**
   * Create and start a container. Attached: racker runs it and returns its exit
   * code; detached: a supervisor runs it and this returns once it is up.
   */
  async run(input: ContainerSpecInput, attach: Attach = {}, opts: CreateOptions = {}): Promise<{ id: string; name: string; exitCode?: number }> {
    if (attach.detach) {
      const rec = await this.create(input, { ...opts, detached: true });
      await this.startDetachedOrCleanUp(rec);
      return { id: rec.id, name: rec.name };
    }
    const pulled = await this.pulled(input, opts);
    // a Ctrl-C or SIGTERM from here on is held, not racker's death: the runner stops the container with
    // it once it runs, or undoes the start (its record, with --rm) when it comes before (docs/run.md)
    const signals = new SignalForwarder();
    try {
      const rec = await this.record(input, pulled, opts);
      const image = await this.imageOf(rec);
      const io: RunIO = { stdin: !!attach.stdin, output: attach.output ?? 'inherit', signals };
      const exitCode = await runnerFor(rec, this.deps).run(rec, image, io);
      return { id: rec.id, name: rec.name, exitCode };
    } finally {
      signals.dispose();
    }
  }

  /** Start a created or stopped container again, detached, with its writable layer. */
  async start(nameOrId: string): Promise<ContainerRecord> {
    const rec = await this.get(nameOrId);
    if (rec.state.status === 'running') return rec;
    await this.imageOf(rec);
    await this.startDetachedOrCleanUp(rec);
    return rec;
  }

  /**
   * Clean shutdown: SIGTERM to systemd-nspawn, which passes SIGTERM to an app's
   * PID 1 or halts a booted systemd; SIGKILL after the timeout (default: the
   * container's own stop timeout).
   */
  async stop(nameOrId: string, timeoutSec?: number): Promise<ContainerRecord> {
    const rec = await this.get(nameOrId);
    if (!can(rec, 'stop') || !rec.state.nspawnPid) return rec;
    askToStop(rec.state.nspawnPid);
    if (await this.waitExited(rec.id, (timeoutSec ?? rec.spec.stopTimeout) * 1000)) return rec;
    await this.killNow(rec);
    await this.waitExited(rec.id, 5000);
    return rec;
  }

  async restart(nameOrId: string, timeoutSec?: number): Promise<ContainerRecord> {
    const rec = await this.stop(nameOrId, timeoutSec);
    return this.start(rec.id);
  }

  /** Send a signal to the container's main process (docker kill). */
  async kill(nameOrId: string, signal: string | number = 'SIGKILL'): Promise<ContainerRecord> {
    const rec = await this.get(nameOrId);
    mustBeAbleTo(rec, 'kill');
    const sig = typeof signal === 'number' ? signal : `SIG${signal.toUpperCase().replace(/^SIG/, '')}` as NodeJS.Signals;
    if (typeof sig === 'string' && signalNumber(sig) === undefined) throw new RackerError(`invalid signal '${signal}'`, { hint: 'a name such as TERM or KILL, or a number' });
    // recorded before the signal, so the runner that sees the exit knows why
    const record = async () => { if (sig === 'SIGKILL' || sig === 9) await this.store.write({ ...rec, state: { ...rec.state, killedBy: 'SIGKILL' } }); };
    if (!await signalMain(rec.state, sig, record)) throw new RackerError(`container ${rec.name} has no main process yet`, { hint: 'try again in a moment' });
    return rec;
  }

  /** Remove a container with its writable layer; `force` kills a running one first, `volumes` takes its anonymous volumes too. */
  async remove(nameOrId: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<ContainerRecord> {
    let rec = await this.get(nameOrId);
    if (rec.state.status === 'running') {
      if (!opts.force) mustBeAbleTo(rec, 'remove');
      await this.killNow(rec);
      // its supervising racker notices the exit and records it; one that does not is ended by reconcile
      const done = await waitFor(this.store, rec.id, notRunning, { timeoutMs: 2000 });
      // gone: it was --rm, and its racker removed it
      rec = done.rec ?? { ...rec, state: { ...rec.state, status: 'exited' } };
      rec = await reconcile(this.store, rec, this.ended);
    }
    // nothing of it may run on once it is gone: its PID namespace, nspawn, its supervisor, its mount
    await endProcesses(rec.state);
    await endSupervisor(this.store, rec, 5000);
    // a supervisor that was killed could not remove the container's cgroups: only ones named for it, under /sys/fs/cgroup
    const own = (rec.state.cgroups ?? []).filter(d => d.startsWith('/sys/fs/cgroup/') && path.basename(d) === `racker-${rec.id.slice(0, 12)}` && !d.includes('/../'));
    if (own.length) await removeCgroups(own);
    const rootfs = this.rootfs(rec);
    if (await isMounted(rootfs)) await unmount(rootfs);
    const left = await leftovers(this.store, rec);
    if (left.length) {
      throw new RackerError(`container ${rec.name} was not removed: ${left.join(', ')} still there`, {
        hint: `run racker rm -f ${rec.name} again; a process that stays is stuck in the kernel (ps -o pid,stat,wchan -p PID)`,
      });
    }
    await this.deps.networks.release(rec.id);
    await this.store.remove(rec.id);
    if (opts.volumes) await removeAnonymousVolumes(this.deps.volumes, rec);
    return rec;
  }

  /** Free the network resources of containers that are not running (crashed, or stopped by a dead supervisor). */
  async reapNetworks(): Promise<string[]> {
    // only what racker's own containers left: a lease of an id this store does not know is not judged
    const all = await listReconciled(this.store, this.ended);
    const stopped = new Set(all.filter(c => c.state.status !== 'running').map(c => c.id));
    return this.deps.networks.reap(id => !stopped.has(id));
  }

  /** Remove every stopped container; their ids. */
  async prune(): Promise<string[]> {
    const out: string[] = [];
    for (const rec of await listReconciled(this.store, this.ended)) {
      if (rec.state.status === 'running') continue;
      await this.remove(rec.id).then(() => out.push(rec.id), () => undefined);
    }
    return out;
  }

  /** By name, id or unique id prefix, with its state checked against what runs. */
  async get(nameOrId: string): Promise<ContainerRecord> {
    return reconcile(this.store, await this.store.get(nameOrId), this.ended);
  }

  async find(nameOrId: string): Promise<ContainerRecord | undefined> {
    const rec = await this.store.find(nameOrId);
    return rec && reconcile(this.store, rec, this.ended);
  }

  /** Containers, newest first; `all` includes stopped ones. */
  async list(opts: { all?: boolean } = {}): Promise<ContainerRecord[]> {
    return (await listReconciled(this.store, this.ended))
      .filter(c => opts.all || c.state.status === 'running')
      .sort((a, b) => byText(b.created, a.created));
  }

  /** docker wait (and --condition healthy): the exit code, or undefined for healthy */
  async wait(nameOrId: string, condition: WaitCondition = 'not-running', timeoutMs?: number, opts: WaitOptions = {}): Promise<number | undefined> {
    const rec = await this.get(nameOrId);
    return dockerWait(this.store, rec, condition, async id => { const r = await this.store.read(id); return r && reconcile(this.store, r); }, timeoutMs, opts);
  }

  /** Wait for a state of the container (or a test of its record), reconciled; throws when it is gone. */
  async waitFor(nameOrId: string, want: Want, opts: Omit<WaitForOptions, 'read'> = {}): Promise<WaitResult> {
    return waitFor(this.store, nameOrId, want, { ...opts, read: id => this.get(id) });
  }

  /** `top`: the processes in the container's PID namespace (host pids, cleaned command lines); none when it is not running. */
  async top(nameOrId: string): Promise<{ pid: number; cmd: string }[]> {
    return processesOf(await this.get(nameOrId));
  }

  /** How commands reach a running container: its machine name and PID 1 (a host pid); undefined when it does not run. */
  async execTarget(id: string): Promise<ExecTarget | undefined> {
    const rec = await this.store.read(id);
    const leader = rec?.state.nspawnPid ? await containerLeader(rec.state.nspawnPid) : undefined;
    return rec && leader ? { machine: rec.name, leader } : undefined;
  }

  async inspect(nameOrId: string): Promise<Record<string, unknown> | undefined> {
    const rec = await this.find(nameOrId);
    return rec && containerJson(this.store, this.images.store.layout, rec);
  }

  /** Run a command in a running container; its exit code. */
  async exec(nameOrId: string, argv: string[], opts: ExecOptions = {}): Promise<number> {
    if (argv.length === 0) throw new RackerError('exec needs a command', { hint: 'racker exec CONTAINER COMMAND [ARG...]' });
    const rec = await this.get(nameOrId);
    return execIn(rec, await this.images.store.readImage(rec.image), this.rootfs(rec), argv, opts);
  }

  /** docker cp out of a running container: `src` inside it to the host path `dest`, or a tar to `out` when dest is `-` (engine/copy.ts). */
  async copyOut(nameOrId: string, src: string, dest: string, out: Writable, opts: CopyOptions = {}): Promise<void> {
    return copyOut(await this.get(nameOrId), src, dest, out, opts);
  }

  /** docker cp into a running container: the host path `src` (or a tar on `input` when src is `-`) to `dest` inside it. */
  async copyIn(nameOrId: string, src: string, dest: string, input: Readable, opts: CopyOptions = {}): Promise<void> {
    return copyIn(await this.get(nameOrId), src, dest, input, opts);
  }

  /** The container's output (app) or journal (booted), as a stream of lines. */
  async logs(nameOrId: string, opts: LogOptions = {}): Promise<AsyncGenerator<LogEntry>> {
    const rec = await this.get(nameOrId);
    return containerLogs(rec, this.store.dir(rec.id), opts, async () => {
      const now = await this.store.read(rec.id);
      return !!now && (await reconcile(this.store, now, this.ended)).state.status === 'running';
    });
  }

  /** What the crash reaper frees of a container found dead. */
  private readonly ended = (rec: ContainerRecord) => this.deps.networks.release(rec.id);

  private rootfs(rec: ContainerRecord): string {
    return path.join(this.store.dir(rec.id), 'rootfs');
  }

  private async imageOf(rec: ContainerRecord) {
    const image = await this.images.store.readImage(rec.image);
    if (!image) throw new RackerError(`image of container ${rec.name} is gone`, { hint: 'remove the container and run it anew' });
    return image;
  }

  /** A detached start that fails leaves no container behind when it was --rm (docker's rule). */
  private async startDetachedOrCleanUp(rec: ContainerRecord): Promise<void> {
    try {
      await startDetached(this.settings.root, rec.id, this.settings.debug);
    } catch (err) {
      if (rec.autoRemove) await this.store.remove(rec.id).catch(() => undefined);
      throw err;
    }
  }

  /** Kill a running container at once: SIGKILL to its PID 1 ends its PID namespace and nspawn with it. */
  private async killNow(rec: ContainerRecord): Promise<void> {
    if (!rec.state.nspawnPid) return;
    const fresh = await this.store.read(rec.id);
    if (fresh) await this.store.write({ ...fresh, state: { ...fresh.state, killedBy: 'SIGKILL' } });
    await endProcesses(rec.state);
  }

  private async waitExited(id: string, ms: number): Promise<boolean> {
    const read = async (i: string) => { const rec = await this.store.read(i); return rec && reconcile(this.store, rec, this.ended); };
    return (await waitFor(this.store, id, notRunning, { timeoutMs: ms, read })).met;
  }
}

