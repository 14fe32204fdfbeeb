import { verbose } from '../log.js';
import { ownToken } from '../lock.js';
import { spawnAttached, type AttachedChild } from '../process.js';
import type { ContainerRecord } from '../model/container.js';
import type { ImageRecord } from '../model/image.js';
import { inCgroups, makeCgroups, oomKilled, removeCgroups, type ContainerCgroups } from './cgroups.js';
import { removeAnonymousVolumes } from './container-mounts.js';
import { endWithNspawn, markSupervised } from './container-processes.js';
import { releaseBoth, type MountedContainer } from './container-setup.js';
import { systemdIsPid1 } from './host.js';
import { toExited, toRunning } from './lifecycle.js';
import { nspawnCommand } from './nspawn-netns.js';
import { applySysctls, nspawnEnv } from './parity-args.js';
import { findLeader, nspawnState, type LeaderIdentity } from './pid-namespace.js';
import type { ConnectedNetwork, RunHooks, RunIO, RunnerDeps } from './runner.js';
import { SignalForwarder } from './signal-forwarder.js';
import { checkVolumeSource } from './volumes.js';

/**
 * The one lifecycle of a run, the same in app and boot mode:
 *
 *   mark supervised → mount the root (app: the network made meanwhile) → prepare the root →
 *   network → cgroups → launch systemd-nspawn → find its PID 1 → record running →
 *   wait for the end (the mode's) → record the exit → clean up in reverse order
 *
 * Every step that holds something has its undo in a `finally`, so a failure
 * or a signal at any step leaves nothing behind. A RunMode says only what
 * differs between the modes.
 */

/** A run as the skeleton hands it to its mode. */
export interface RunContext {
  rec: ContainerRecord;
  /** the image the container runs (boot mode may swap in one with systemd) */
  image: ImageRecord;
  io: RunIO;
  hooks: RunHooks;
  signals: SignalForwarder;
  hostname: string;
  root: MountedContainer;
  network?: ConnectedNetwork;
  cgroups?: ContainerCgroups;
}

/** How systemd-nspawn starts: its arguments (the network namespace and cgroups are added here), stdio, environment. */
export interface Launch {
  args: string[];
  /** environment nspawn itself reads (beside the one of its settings file) */
  processEnv: Record<string, string>;
  stdin: 'inherit' | 'ignore';
  output: 'inherit' | 'pipe' | number;
  /** right after the spawn (nspawn), or when the start is undone before it (undefined) */
  spawned?(nspawn: AttachedChild | undefined): Promise<void> | void;
}

/** The container runs: nspawn, its PID 1, and the promise that ends what is left of it once nspawn exits. */
export interface Running extends RunContext {
  network: ConnectedNetwork;
  nspawn: AttachedChild;
  leader: LeaderIdentity | undefined;
  ended: Promise<void>;
  /** did the kernel kill it for --memory? (asked once) */
  oomKilled(): Promise<boolean>;
}

export interface RunMode {
  /** the container's hostname when its spec names none */
  hostname(rec: ContainerRecord): string;
  /** make the network while the root is mounted and prepared (it needs no root), rather than after */
  networkFirst: boolean;
  /** options of the cgroups racker makes where PID 1 is not systemd */
  cgroups: { own?: boolean };
  /** refuse a run before anything is held */
  check?(rec: ContainerRecord, io: RunIO): void;
  /** mount the container's root; boot mode may swap the image */
  mount(rec: ContainerRecord, image: ImageRecord): Promise<{ root: MountedContainer; image: ImageRecord }>;
  /** make the mounted root ready and check it, before the network is needed */
  prepare(ctx: RunContext): Promise<void>;
  /** with the network there: how nspawn starts */
  launch(ctx: RunContext & { network: ConnectedNetwork }): Promise<Launch>;
  /** recorded running: wait for the run's end; the exit code docker would report */
  waitForEnd(run: Running): Promise<number>;
  /** after the run, also a failed one: make nspawn exit (it may have already) */
  stop(nspawn: AttachedChild, exited: boolean): Promise<void>;
}

/** Run `rec` from its stored spec to its end, as `mode` says; its exit code. */
export async function runContainer(deps: RunnerDeps, rec: ContainerRecord, image: ImageRecord, io: RunIO, hooks: RunHooks, mode: RunMode): Promise<number> {
  mode.check?.(rec, io);
  for (const v of rec.spec.volumes) await checkVolumeSource(v);
  // from here on a signal must not end racker before it has undone the start
  const own = io.signals ? undefined : new SignalForwarder();
  const signals = io.signals ?? own!;
  const unmark = await markSupervised(deps.containers, rec.id).catch((err: unknown) => { own?.dispose(); throw err; });
  try {
    return await withRoot(deps, rec, image, { ...io, signals }, hooks, signals, mode);
  } finally {
    await unmark();
    own?.dispose();
  }
}

async function withRoot(deps: RunnerDeps, rec: ContainerRecord, image: ImageRecord, io: RunIO, hooks: RunHooks, signals: SignalForwarder, mode: RunMode): Promise<number> {
  const hostname = rec.spec.hostname ?? mode.hostname(rec);
  // the network (its namespace and veth are two processes) made while the root is mounted and prepared;
  // its failure is reported where it is needed, after the image's checks
  const connecting = mode.networkFirst ? deps.connectNetwork(rec, image, hostname) : undefined;
  connecting?.catch(() => undefined); // handled: awaited below
  let mounted: { root: MountedContainer; image: ImageRecord };
  try {
    mounted = await mode.mount(rec, image);
  } catch (err) {
    await connecting?.then(n => n.release(), () => undefined);
    throw err;
  }
  const ctx: RunContext = { rec, image: mounted.image, io, hooks, signals, hostname, root: mounted.root };
  try {
    await mode.prepare(ctx);
    const network = ctx.network = connecting ? await connecting : await deps.connectNetwork(rec, ctx.image, hostname);
    await network.writeFiles(ctx.root.dir);
    // resource limits where PID 1 is not systemd: cgroups of racker's own, gone with the container (docs/run.md)
    ctx.cgroups = systemdIsPid1() ? undefined : await makeCgroups(rec.id, rec.spec, mode.cgroups);
    try {
      return await launched(deps, { ...ctx, network }, mode);
    } finally {
      if (ctx.cgroups) await removeCgroups(ctx.cgroups.dirs);
    }
  } finally {
    await releaseBoth(ctx.network ?? await connecting?.catch(() => undefined), ctx.root);
    if (rec.autoRemove) await removeAnonymousVolumes(deps.volumes, rec);
  }
}

async function launched(deps: RunnerDeps, ctx: RunContext & { network: ConnectedNetwork }, mode: RunMode): Promise<number> {
  const { rec, network, signals } = ctx;
  const spec = rec.spec;
  const launch = await mode.launch(ctx);
  let nspawn: AttachedChild | undefined;
  try {
    // interrupted while it was being made: undo the start (the clean-up) and exit as docker does
    if (signals.exitCode !== undefined) return signals.exitCode;
    const start = inCgroups(ctx.cgroups, ...nspawnCommand(network, launch.args));
    nspawn = spawnAttached(start.cmd, start.args, launch.stdin, launch.output, { env: { ...nspawnEnv(spec, network.ownNamespace), ...launch.processEnv } });
  } finally {
    await launch.spawned?.(nspawn);
  }
  let exited = false;
  void nspawn.exited.then(() => { exited = true; });
  let ended: Promise<void> | undefined;
  try {
    const leader = await findLeader(nspawn);
    if (leader) await applySysctls(spec, leader.pid);
    Object.assign(rec, toRunning(rec, { supervisor: await ownToken(), ...await nspawnState(nspawn), leader, startedAt: new Date().toISOString(), cgroups: ctx.cgroups?.dirs, ports: network.ports }));
    await deps.containers.write(rec);
    // signals held since the start go to the container now
    signals.forwardTo(nspawn, spec.stopTimeout);
    // nspawn killed: the container's processes would run on (and hold our pipes open)
    ended = endWithNspawn(nspawn, leader);
    let oom: Promise<boolean> | undefined;
    const cg = ctx.cgroups;
    const run: Running = { ...ctx, nspawn, leader, ended, oomKilled: () => (oom ??= cg ? oomKilled(cg) : Promise.resolve(false)) };
    const code = await mode.waitForEnd(run);
    Object.assign(rec, toExited(rec, code));
    if (await run.oomKilled()) rec.state.oomKilled = true;
    await deps.containers.write(rec);
    verbose(`container ${rec.name} exited with code ${code}`);
    return code;
  } finally {
    await mode.stop(nspawn, exited);
    signals.ended();
    await ended;
  }
}
