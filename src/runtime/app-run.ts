import path from 'node:path';
import { warn } from '../log.js';
import { signalNumber, type AttachedChild } from '../process.js';
import type { ImageRecord } from '../model/image.js';
import type { ContainerRecord } from '../model/container.js';
import { shortId } from '../model/image.js';
import type { ConnectedNetwork, ContainerRunner, RunHooks, RunIO, RunnerDeps } from './runner.js';
import { prepareMounts } from './container-mounts.js';
import { buildNspawnArgs } from './nspawn-args.js';
import { planNspawnEnv, writeNspawnSettings } from './nspawn-env.js';
import { systemdIsPid1 } from './host.js';
import { killRunning } from './container-processes.js';
import { mkdirInRoot } from './rootfs-path.js';
import { mountContainer, writeIdentityFiles } from './container-setup.js';
import { LogWriter, LOG_FILE } from './container-log.js';
import { etcBinds } from './etc-files.js';
import { checkCommand, DEFAULT_PATH } from './command-lookup.js';
import { checkEnvSize, mergeEnv, imageEnv } from './env.js';
import { resolveUser } from './user.js';
import { containerWorkdir } from './workdir.js';
import { makeMountPoint } from './volumes.js';
import { useTerminal } from './terminal.js';
import { parityBinds } from './parity-args.js';
import { runContainer, type Launch, type RunContext, type RunMode, type Running } from './run-skeleton.js';

/** App mode: the image's command as the container's PID 1, in a fresh or kept writable layer. */
export class AppRunner implements ContainerRunner {
  constructor(private readonly deps: RunnerDeps) {}

  run(rec: ContainerRecord, image: ImageRecord, io: RunIO, hooks: RunHooks = {}): Promise<number> {
    return runContainer(this.deps, rec, image, io, hooks, new AppMode(this.deps));
  }
}

/** What an app run does within the run's skeleton (run-skeleton.ts): the payload is the command. */
class AppMode implements RunMode {
  readonly networkFirst = true;
  readonly cgroups = {};
  private env: [string, string][] = [];
  private workdir = '/';
  private user: Awaited<ReturnType<typeof resolveUser>> | undefined;
  private binds: NonNullable<Parameters<typeof buildNspawnArgs>[0]['binds']> = [];
  private nspawnArgs: string[] = [];
  private log: LogWriter | undefined;

  constructor(private readonly deps: RunnerDeps) {}

  hostname(rec: ContainerRecord): string {
    return shortId(rec.id);
  }

  async mount(rec: ContainerRecord, image: ImageRecord) {
    return { root: await mountContainer(this.deps.images.layout, this.deps.containers, rec), image };
  }

  async prepare({ rec, image, root: { rootfs, dir }, hostname }: RunContext): Promise<void> {
    const spec = rec.spec;
    const cfg = image.config.config ?? {};
    const extra = await parityBinds(spec, rootfs);
    this.env = mergeEnv([['PATH', DEFAULT_PATH]], imageEnv(cfg.Env, name => warn(`the image's Env entry ${JSON.stringify(name.slice(0, 80))} cannot be passed on by systemd-nspawn (names are letters, digits and _): left out`)), [['HOSTNAME', hostname]], extra.env, spec.env);
    checkEnvSize(this.env);
    this.workdir = containerWorkdir(spec.workdir, cfg.WorkingDir);
    await mkdirInRoot(rootfs, this.workdir);
    await writeIdentityFiles(rootfs, hostname, dir);
    for (const v of spec.volumes) await makeMountPoint(rootfs, v);
    const mounts = await prepareMounts(this.deps.volumes, rec, rootfs);
    this.binds = [...etcBinds(dir), ...spec.volumes, ...mounts.binds, ...extra.binds];
    this.nspawnArgs = mounts.nspawnArgs;
    this.user = await resolveUser(rootfs, spec.user ?? cfg.User ?? undefined);
    await checkCommand(rootfs, spec.command[0], this.env.find(([k]) => k === 'PATH')?.[1] ?? DEFAULT_PATH, this.workdir);
  }

  async launch({ rec, io, root: { rootfs, dir }, hostname, network }: RunContext & { network: ConnectedNetwork }): Promise<Launch> {
    const spec = rec.spec;
    const log = this.log = io.output === 'log' ? new LogWriter(path.join(dir, LOG_FILE)) : undefined;
    // the environment off nspawn's command line (docs/run.md)
    const envPlan = planNspawnEnv(this.env);
    await writeNspawnSettings(dir, rec.name, envPlan.settings);
    // -t without a terminal on both sides: the pipes as they are (docs/run.md)
    const args = buildNspawnArgs({
      machine: rec.name, directory: rootfs, argv: spec.command, env: [], envArgs: envPlan.args, workdir: this.workdir, user: this.user, hostname,
      tty: io.output === 'inherit' && useTerminal(spec.tty), binds: this.binds, register: systemdIsPid1(),
      killSignal: spec.stopSignal ?? 'SIGTERM', parity: spec, extra: [...this.nspawnArgs, ...network.nspawnArgs],
    });
    return {
      args, processEnv: envPlan.processEnv,
      stdin: io.stdin && !log ? 'inherit' : 'ignore',
      output: typeof io.output === 'object' ? io.output.fd : log ? 'pipe' : 'inherit',
      spawned: async nspawn => {
        if (!nspawn) { await log?.close(); return; }
        if (log) {
          log.capture(nspawn.stdout!, 'stdout');
          log.capture(nspawn.stderr!, 'stderr');
        }
      },
    };
  }

  async waitForEnd({ rec, nspawn, ended, network, hooks, signals, oomKilled }: Running): Promise<number> {
    hooks.onStarted?.(rec);
    let code: number;
    try {
      code = await nspawn.exit;
      await ended;
      // the network's clean-up (mostly the kernel deleting the veths) beside the bookkeeping below; the skeleton waits for it
      void network.release().catch(() => undefined);
      await hooks.beforeExit?.();
    } finally {
      signals.ended();
      await this.log?.close();
    }
    if (signals.exitCode !== undefined) code = signals.exitCode;
    // killed by `racker stop/kill/rm -f`: nspawn says 1, docker users expect 128+signal
    const killedBy = (await this.deps.containers.read(rec.id))?.state.killedBy;
    if (killedBy && code === 1) code = 128 + (signalNumber(killedBy) ?? 9);
    // over --memory: the kernel killed it; nspawn says 1 for a killed PID 1, docker says 137
    if (code === 1 && await oomKilled()) code = 137;
    return code;
  }

  /** nspawn has exited unless a step failed after its start: then its PID 1 is killed (nspawn exits with it) */
  async stop(nspawn: AttachedChild, exited: boolean): Promise<void> {
    if (exited) return;
    await killRunning(nspawn);
    await nspawn.exited;
  }
}
