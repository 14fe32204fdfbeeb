import { open, readFile, readlink, rm, lstat } from 'node:fs/promises';
import path from 'node:path';
import { RackerError } from '../errors.js';
import { containerWorkdir } from './workdir.js';
import { debug, verbose } from '../log.js';
import { runAllowFail, spawnAttached, type AttachedChild } from '../process.js';
import type { ImageRecord } from '../model/image.js';
import type { ContainerRecord } from '../model/container.js';
import type { ConnectedNetwork, ContainerRunner, RunHooks, RunIO, RunnerDeps } from './runner.js';
import { prepareMounts } from './container-mounts.js';
import { buildNspawnArgs } from './nspawn-args.js';
import { planNspawnEnv, writeNspawnSettings } from './nspawn-env.js';
import { containerLeader, systemdIsPid1 } from './host.js';
import { mkdirInRoot, resolveInRoot } from './rootfs-path.js';
import { mountContainer, writeIdentityFiles, type MountedContainer } from './container-setup.js';
import { LogWriter, LOG_FILE } from './container-log.js';
import { etcBinds } from './etc-files.js';
import { checkCommand, DEFAULT_PATH } from './command-lookup.js';
import { askToStop, killRunning } from './container-processes.js';
import { pollUntil } from '../poll.js';
import { makeMountPoint } from './volumes.js';
import { hostExecPath, type ContainerExec, type ExecTarget } from './exec/container-exec.js';
import { buildSystemdRunArgs } from './exec/systemd-run-args.js';
import { prepareUnitEnv, RUN_ENV, unitEnvBind, writeUnitEnv } from './exec/unit-env.js';
import { useTerminal } from './terminal.js';
import { parityBinds } from './parity-args.js';
import { runContainer, type Launch, type RunContext, type RunMode, type Running } from './run-skeleton.js';

const INIT_PATHS = ['/usr/lib/systemd/systemd', '/lib/systemd/systemd'];

/** Does the image have systemd to boot? */
export async function hasSystemd(rootfs: string): Promise<boolean> {
  for (const p of INIT_PATHS) {
    const st = await lstat(await resolveInRoot(rootfs, p)).catch(() => undefined);
    if (st?.isFile()) return true;
  }
  return false;
}

/**
 * Has the container's PID 1 started its init? Until it does, it runs nspawn's
 * own executable, and asking systemd would only take a process pair from the boot.
 */
async function initStarted(nspawnPid: number, leader: number): Promise<boolean> {
  const [nspawn, pid1] = await Promise.all([readlink(`/proc/${nspawnPid}/exe`).catch(() => ''), readlink(`/proc/${leader}/exe`).catch(() => '')]);
  return pid1 !== '' && pid1 !== nspawn;
}

/** The last lines of a log file, for error messages. */
async function tail(file: string, lines: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Boot mode: systemd as PID 1 in a throwaway overlay; the command runs as a
 * transient unit inside (systemd-run), its exit code passed back; then power off.
 */
export class BootRunner implements ContainerRunner {
  private readonly exec: ContainerExec = hostExecPath();

  constructor(private readonly deps: RunnerDeps) {}

  run(rec: ContainerRecord, image: ImageRecord, io: RunIO, hooks: RunHooks = {}): Promise<number> {
    return runContainer(this.deps, rec, image, io, hooks, new BootMode(this.deps, this.exec, rec.spec.stopTimeout));
  }
}

/** What a booted run does within the run's skeleton (run-skeleton.ts): systemd as PID 1, the command through systemd-run. */
class BootMode implements RunMode {
  readonly networkFirst = false;
  /** where PID 1 is not systemd: a cgroup tree of its own for the container's systemd, with its limits (docs/run.md) */
  readonly cgroups = { own: true };
  private mounts: Awaited<ReturnType<typeof prepareMounts>> | undefined;
  private workdir = '/';
  private bootLog = '';
  private runEnvFile: string | undefined;
  private poweringOff: Promise<void> | undefined;

  constructor(private readonly deps: RunnerDeps, private readonly exec: ContainerExec, private readonly stopTimeout: number) {}

  check(rec: ContainerRecord, io: RunIO): void {
    if (rec.spec.command.length === 0 && io.output !== 'log') throw new RackerError('no command specified', { hint: 'give a command after the image name, e.g. bash' });
  }

  hostname(rec: ContainerRecord): string {
    return rec.name;
  }

  async mount(rec: ContainerRecord, image: ImageRecord): Promise<{ root: MountedContainer; image: ImageRecord }> {
    const { images, containers } = this.deps;
    const c = await mountContainer(images.layout, containers, rec);
    if (rec.state.status !== 'created' || await hasSystemd(c.rootfs)) return { root: c, image };
    // an OS image without systemd: boot a derived image that has it (made once), in this same container
    let derived: ImageRecord;
    try {
      derived = await (await import('./provision.js')).provisionSystemd(images, containers, image, rec.spec.imageName, c.rootfs);
    } catch (err) {
      await c.release();
      throw err;
    }
    await c.unmount();
    // the container never ran: a fresh writable layer over the derived image's layers
    await rm(path.join(c.dir, 'upper'), { recursive: true, force: true });
    await rm(path.join(c.dir, 'work'), { recursive: true, force: true });
    Object.assign(rec, { image: derived.id, layers: derived.layers, spec: { ...rec.spec, image: derived.id } });
    await containers.write(rec);
    return { root: await mountContainer(images.layout, containers, rec), image: derived };
  }

  async prepare({ rec, image, root: { rootfs, dir }, hostname }: RunContext): Promise<void> {
    const spec = rec.spec;
    await writeIdentityFiles(rootfs, hostname, dir);
    // a persistent journal in the writable layer, so `racker logs` can read it after the run
    await mkdirInRoot(rootfs, '/var/log/journal');
    for (const v of spec.volumes) await makeMountPoint(rootfs, v);
    this.mounts = await prepareMounts(this.deps.volumes, rec, rootfs);
    this.workdir = containerWorkdir(spec.workdir, image.config.config?.WorkingDir);
    if (spec.command.length) await checkCommand(rootfs, spec.command[0], DEFAULT_PATH, this.workdir);
  }

  async launch({ rec, root: { rootfs, dir }, hostname, network }: RunContext & { network: ConnectedNetwork }): Promise<Launch> {
    const spec = rec.spec;
    const mounts = this.mounts!;
    const extra = await parityBinds(spec, rootfs);
    this.bootLog = path.join(dir, 'boot.log');
    const log = await open(this.bootLog, 'w', 0o600);
    try {
      // init's environment, and the command's (an EnvironmentFile= of racker's, bound read-only), off any command line
      const envPlan = planNspawnEnv(extra.env);
      await writeNspawnSettings(dir, rec.name, envPlan.settings);
      await prepareUnitEnv(dir);
      this.runEnvFile = (await writeUnitEnv(dir, spec.env, RUN_ENV)).inContainer;
      const args = buildNspawnArgs({
        machine: rec.name, directory: rootfs, argv: [], env: [], envArgs: envPlan.args, hostname, boot: true,
        tty: false, binds: [...etcBinds(dir), unitEnvBind(dir), ...spec.volumes, ...mounts.binds, ...extra.binds], register: systemdIsPid1(), parity: spec,
        extra: [...mounts.nspawnArgs, ...network.nspawnArgs],
      });
      return { args, processEnv: envPlan.processEnv, stdin: 'ignore', output: log.fd, spawned: () => log.close() };
    } catch (err) {
      await log.close();
      throw err;
    }
  }

  async waitForEnd({ rec, io, hooks, signals, nspawn, root }: Running): Promise<number> {
    const spec = rec.spec;
    // nspawn killed: systemd and everything under it would run on (the skeleton ends them)
    let killed: number | undefined;
    void nspawn.exited.then(n => { if (n > 128) killed = n; });
    // powered off by a signal while it booted: not a failure to boot
    const target = await this.waitUntilBooted(rec.name, nspawn, this.bootLog, spec.bootTimeout).catch((err: unknown) => {
      if (signals.exitCode === undefined) throw err;
    });
    if (target) hooks.onStarted?.(rec);
    // a signal came while it booted: it is powering off, its command is not started
    let code = !target || signals.exitCode !== undefined ? 0 : spec.command.length ? await this.runCommand(target, rec, io, this.workdir, root.dir, this.runEnvFile) : await nspawn.exit;
    code = signals.exitCode ?? killed ?? code;
    await hooks.beforeExit?.();
    // the container powers off while its exit is recorded, not after
    this.poweringOff = this.powerOff(nspawn, this.stopTimeout);
    this.poweringOff.catch(() => undefined);
    return code;
  }

  /** (a second signal while it powers off kills it at once) */
  async stop(nspawn: AttachedChild): Promise<void> {
    await (this.poweringOff ?? this.powerOff(nspawn, this.stopTimeout));
  }

  /** Wait for the leader to appear and for systemd to finish starting up. */
  private async waitUntilBooted(machine: string, nspawn: AttachedChild, bootLog: string, timeoutSec: number): Promise<ExecTarget> {
    // nspawn's exit ends the wait at once
    const exited = new AbortController();
    void nspawn.exit.then(() => exited.abort(), () => exited.abort());
    const failedToBoot = async () => new RackerError(`container ${machine} failed to boot (systemd-nspawn exited)\n${await tail(bootLog, 20)}`, { hint: 'the lines above are the end of its boot log' });
    let state = 'not started';
    const booted = await pollUntil(async (): Promise<ExecTarget | 'failed' | undefined> => {
      if (exited.signal.aborted) throw await failedToBoot();
      const leader = nspawn.pid ? await containerLeader(nspawn.pid) : undefined;
      if (!leader || !await initStarted(nspawn.pid!, leader)) return undefined;
      const target = { machine, leader };
      const { cmd, args } = this.exec.command(target, ['systemctl', 'is-system-running']);
      const r = await runAllowFail(cmd, args);
      state = String(r.stdout).trim() || state;
      if (state === 'running' || state === 'degraded') return target;
      // 'offline' only means systemd cannot be reached yet; keep asking
      return ['maintenance', 'stopping'].includes(state) ? 'failed' : undefined;
    }, { timeoutMs: timeoutSec * 1000, signal: exited.signal });
    if (!booted && exited.signal.aborted) throw await failedToBoot();
    if (booted && booted !== 'failed') {
      verbose(`container ${machine} booted (${state})`);
      return booted;
    }
    const leader = nspawn.pid ? await containerLeader(nspawn.pid) : undefined;
    let failed = '';
    if (leader) {
      const { cmd, args } = this.exec.command({ machine, leader }, ['systemctl', '--failed', '--no-legend', '--plain']);
      failed = String((await runAllowFail(cmd, args)).stdout).trim();
    }
    throw new RackerError(`container ${machine} did not finish booting (state: ${state})${failed ? `\nfailed units:\n${failed}` : ''}\n${await tail(bootLog, 15)}`,
      { hint: `raise --boot-timeout (now ${timeoutSec}s) or look at the failed units above` });
  }

  private async runCommand(target: ExecTarget, rec: ContainerRecord, io: RunIO, workdir: string, dir: string, envFile?: string): Promise<number> {
    const spec = rec.spec;
    // -t without a terminal on both sides: the pipes as they are (docs/run.md)
    const tty = io.output === 'inherit' && useTerminal(spec.tty);
    const { cmd, args } = this.exec.command(target, buildSystemdRunArgs({
      argv: spec.command, env: [], envFiles: envFile ? [envFile] : [], workdir, user: spec.user, tty,
    }));
    const log = io.output === 'log' ? new LogWriter(path.join(dir, LOG_FILE)) : undefined;
    const output = typeof io.output === 'object' ? io.output.fd : log ? 'pipe' : 'inherit';
    const child = spawnAttached(cmd, args, (io.stdin || tty) && !log ? 'inherit' : 'ignore', output);
    if (log) {
      log.capture(child.stdout!, 'stdout');
      log.capture(child.stderr!, 'stderr');
    }
    try {
      const code = await child.exit;
      debug(`command in ${target.machine} exited with ${code}`);
      return code;
    } finally {
      await log?.close();
    }
  }

  /** SIGTERM makes nspawn halt the container (SIGRTMIN+3 to systemd); kill it if that takes too long. */
  private async powerOff(nspawn: AttachedChild, timeoutSec: number): Promise<void> {
    let done = false;
    const exited = nspawn.exit.then(() => { done = true; }, () => { done = true; });
    askToStop(nspawn);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise(r => { timer = setTimeout(r, timeoutSec * 1000); })]);
    // a pending timer would keep a supervisor alive for up to the stop timeout
    clearTimeout(timer);
    if (!done) {
      await killRunning(nspawn);
      await exited;
    }
  }
}


