import { verbose, warn } from '../log.js';
import { spawnAttached, signalNumber } from '../process.js';
import type { ImageRecord } from '../store/image-store.js';
import type { ContainerRecord, ContainerStore } from '../store/container-store.js';
import { shortId } from '../image/digest.js';
import { toExited, toRunning } from './lifecycle.js';
import type { ConnectedNetwork, ContainerRunner, RunHooks, RunIO, RunnerDeps } from './runner.js';
import { prepareMounts, removeAnonymousVolumes } from './container-mounts.js';
import type { StoreLayout } from '../store/layout.js';
import { buildNspawnArgs } from './nspawn-args.js';
import { planNspawnEnv, writeNspawnSettings } from './nspawn-env.js';
import { systemdIsPid1 } from './host.js';
import { SignalForwarder } from './signal-forwarder.js';
import { findLeader, nspawnState } from './pid-namespace.js';
import { ownToken } from '../lock.js';
import { killLeader, markSupervised, endWithNspawn } from './container-processes.js';
import { mkdirInRoot } from './rootfs-path.js';
import { mountContainer, releaseBoth, writeIdentityFiles, type MountedContainer } from './container-setup.js';
import { LogWriter, LOG_FILE } from './container-log.js';
import { etcBinds } from './etc-files.js';
import path from 'node:path';
import { checkCommand, DEFAULT_PATH } from './command-lookup.js';
import { checkEnvSize, mergeEnv, imageEnv } from './env.js';
import { resolveUser } from './user.js';
import { containerWorkdir } from './workdir.js';
import { checkVolumeSource, makeMountPoint } from './volumes.js';
import { useTerminal } from './terminal.js';
import { applySysctls, nspawnEnv, parityBinds } from './parity-args.js';
import { nspawnCommand } from './nspawn-netns.js';
import { inCgroups, makeCgroups, oomKilled, removeCgroups, type ContainerCgroups } from './cgroups.js';

/** App mode: the image's command as the container's PID 1, in a fresh or kept writable layer. */
export class AppRunner implements ContainerRunner {
  private readonly layout: StoreLayout;
  private readonly containers: ContainerStore;

  constructor(private readonly deps: RunnerDeps) {
    this.layout = deps.images.layout;
    this.containers = deps.containers;
  }

  async run(rec: ContainerRecord, image: ImageRecord, io: RunIO, hooks: RunHooks = {}): Promise<number> {
    for (const v of rec.spec.volumes) await checkVolumeSource(v);
    // from here on a signal must not end racker before it has undone the start
    const own = io.signals ? undefined : new SignalForwarder();
    io = { ...io, signals: io.signals ?? own };
    const unmark = await markSupervised(this.containers, rec.id).catch((err: unknown) => { own?.dispose(); throw err; });
    try {
      const hostname = rec.spec.hostname ?? shortId(rec.id);
      // the network (its namespace and veth are two processes) is made while the root is mounted and prepared;
      // start() waits for it where it needs it, and its failure is reported there, after the image's checks
      const connecting = this.deps.connectNetwork(rec, image, hostname);
      connecting.catch(() => undefined); // handled: start() or the clean-up below awaits it
      let c: MountedContainer;
      try {
        c = await mountContainer(this.layout, this.containers, rec);
      } catch (err) {
        await connecting.then(n => n.release(), () => undefined);
        throw err;
      }
      try {
        return await this.start(rec, c.rootfs, image, io, hooks, hostname, connecting);
      } finally {
        await releaseBoth(await connecting.catch(() => undefined), c);
        if (rec.autoRemove) await removeAnonymousVolumes(this.deps.volumes, rec);
      }
    } finally {
      await unmark();
      own?.dispose();
    }
  }

  private async start(rec: ContainerRecord, rootfs: string, image: ImageRecord, io: RunIO, hooks: RunHooks,
    hostname: string, connecting: Promise<ConnectedNetwork>): Promise<number> {
    const spec = rec.spec;
    const argv = spec.command;
    const cfg = image.config.config ?? {};
    const extra = await parityBinds(spec, rootfs);
    const env = mergeEnv([['PATH', DEFAULT_PATH]], imageEnv(cfg.Env, name => warn(`the image's Env entry ${JSON.stringify(name.slice(0, 80))} cannot be passed on by systemd-nspawn (names are letters, digits and _): left out`)), [['HOSTNAME', hostname]], extra.env, spec.env);
    checkEnvSize(env);
    const workdir = containerWorkdir(spec.workdir, cfg.WorkingDir);
    await mkdirInRoot(rootfs, workdir);
    const dir = this.containers.dir(rec.id);
    await writeIdentityFiles(rootfs, hostname, dir);
    for (const v of spec.volumes) await makeMountPoint(rootfs, v);
    const mounts = await prepareMounts(this.deps.volumes, rec, rootfs);
    const user = await resolveUser(rootfs, spec.user ?? cfg.User ?? undefined);
    await checkCommand(rootfs, argv[0], env.find(([k]) => k === 'PATH')?.[1] ?? DEFAULT_PATH, workdir);
    const network = await connecting;
    await network.writeFiles(dir);

    const log = io.output === 'log' ? new LogWriter(path.join(dir, LOG_FILE)) : undefined;
    // the environment off nspawn's command line (docs/run.md)
    const envPlan = planNspawnEnv(env);
    await writeNspawnSettings(dir, rec.name, envPlan.settings);
    // -t without a terminal on both sides: the pipes as they are (docs/run.md)
    const args = buildNspawnArgs({
      machine: rec.name, directory: rootfs, argv, env: [], envArgs: envPlan.args, workdir, user, hostname,
      tty: io.output === 'inherit' && useTerminal(spec.tty), binds: [...etcBinds(dir), ...spec.volumes, ...mounts.binds, ...extra.binds], register: systemdIsPid1(),
      killSignal: spec.stopSignal ?? 'SIGTERM', parity: spec, extra: [...mounts.nspawnArgs, ...network.nspawnArgs],
    });
    const output = typeof io.output === 'object' ? io.output.fd : log ? 'pipe' : 'inherit';
    // resource limits where PID 1 is not systemd: cgroups of racker's own, gone with the container (docs/run.md)
    const cg = systemdIsPid1() ? undefined : await makeCgroups(rec.id, spec);
    try {
      return await this.attach(rec, args, envPlan.processEnv, io, log, output, hooks, cg, network);
    } finally {
      if (cg) await removeCgroups(cg.dirs);
    }
  }

  private async attach(rec: ContainerRecord, args: string[], processEnv: Record<string, string>, io: RunIO, log: LogWriter | undefined, output: 'inherit' | 'pipe' | number,
    hooks: RunHooks, cg: ContainerCgroups | undefined, network: ConnectedNetwork): Promise<number> {
    const spec = rec.spec;
    const signals = io.signals!;
    // interrupted while it was being made: undo the start (the callers' clean-up) and exit as docker does
    if (signals.exitCode !== undefined) return signals.exitCode;
    const nspawn = inCgroups(cg, ...nspawnCommand(network, args));
    const child = spawnAttached(nspawn.cmd, nspawn.args, io.stdin && !log ? 'inherit' : 'ignore', output, { env: { ...nspawnEnv(spec, network.ownNamespace), ...processEnv } });
    if (log) {
      log.capture(child.stdout!, 'stdout');
      log.capture(child.stderr!, 'stderr');
    }
    const leader = await findLeader(child);
    if (leader) {
      await applySysctls(spec, leader.pid).catch(async (err: unknown) => {
        killLeader(leader);
        await child.exit;
        throw err;
      });
    }
    Object.assign(rec, toRunning(rec, { supervisor: await ownToken(), ...await nspawnState(child), leader, startedAt: new Date().toISOString(), cgroups: cg?.dirs, ports: network.ports }));
    await this.containers.write(rec);
    hooks.onStarted?.(rec);

    // signals held since the start go to the container now
    signals.forwardTo(child, spec.stopTimeout);
    // nspawn killed: its payload would run on (and hold our pipes open)
    const ended = endWithNspawn(child, leader);
    let code: number;
    try {
      code = await child.exit;
      await ended;
      // the network's clean-up (mostly the kernel deleting the veths) beside the bookkeeping below; run() waits for it
      void network.release().catch(() => undefined);
      await hooks.beforeExit?.();
    } finally {
      signals.ended();
      await log?.close();
    }
    if (signals.exitCode !== undefined) code = signals.exitCode;
    // killed by `racker stop/kill/rm -f`: nspawn says 1, docker users expect 128+signal
    const killedBy = (await this.containers.read(rec.id))?.state.killedBy;
    if (killedBy && code === 1) code = 128 + (signalNumber(killedBy) ?? 9);
    // over --memory: the kernel killed it; nspawn says 1 for a killed PID 1, docker says 137
    const oom = cg ? await oomKilled(cg) : false;
    if (oom && code === 1) code = 137;
    Object.assign(rec, toExited(rec, code));
    if (oom) rec.state.oomKilled = true;
    await this.containers.write(rec);
    verbose(`container ${rec.name} exited with code ${code}`);
    return code;
  }
}
