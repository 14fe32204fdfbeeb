import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { RackerError } from '../errors.js';
import { containerWorkdir } from './workdir.js';
import { checkEnvSize } from './env.js';
import { debug, verbose } from '../log.js';
import { runAllowFail, spawnAttached, signalNumber, type AttachedChild } from '../process.js';
import type { ImageRecord, ImageStore } from '../store/image-store.js';
import type { ContainerRecord, ContainerStore, RunSpec } from '../store/container-store.js';
import type { StoreLayout } from '../store/layout.js';
import { buildNspawnArgs } from './nspawn-args.js';
import { containerLeader, systemdIsPid1 } from './host.js';
import { mkdirInRoot, resolveInRoot } from './rootfs-path.js';
import { mountContainer, remountContainer, writeIdentityFiles } from './container-setup.js';
import { LogWriter, LOG_FILE } from './container-log.js';
import { checkCommand, DEFAULT_PATH } from './command-lookup.js';
import { SignalForwarder } from './signal-forwarder.js';
import { endWithNspawn, findLeader, nspawnState } from './pid-namespace.js';
import { ownToken } from '../store/lock.js';
import { checkVolumeSource, makeMountPoint, type VolumeSpec } from './volumes.js';
import { MachinedExec, NsenterExec, type ContainerExec, type ExecTarget } from './exec/container-exec.js';
import { buildSystemdRunArgs } from './exec/systemd-run-args.js';
import { lstat } from 'node:fs/promises';
import { useTerminal } from './terminal.js';


/** how often to ask systemd whether it is up: each ask is an nsenter + systemctl (a few ms) */
const BOOT_POLL_MS = 30;
export interface BootRunOptions {
  image: ImageRecord;
  imageName: string;
  argv: string[];
  interactive: boolean;
  tty: boolean;
  autoRemove: boolean;
  name?: string;
  env: [string, string][];
  workdir?: string;
  user?: string;
  hostname?: string;
  volumes: VolumeSpec[];
  /** seconds to wait for `systemctl is-system-running` to say running or degraded */
  bootTimeout: number;
  /** seconds a power-off may take before the container is killed */
  stopTimeout: number;
  /** send the command's output to this file descriptor instead of ours (selftest, probes) */
  outputFd?: number;
  /** detached: the command's output goes to the container log; with no command, stay up until stopped */
  captureLog?: boolean;
  /** called once the container has booted (detached runs report back to the CLI) */
  onStarted?: (rec: ContainerRecord) => void;
  /** boot this existing container again, with its writable layer (`racker start`) */
  existing?: ContainerRecord;
}

const INIT_PATHS = ['/usr/lib/systemd/systemd', '/lib/systemd/systemd'];

/** Does the image have systemd to boot? */
export async function hasSystemd(rootfs: string): Promise<boolean> {
  for (const p of INIT_PATHS) {
    const st = await lstat(await resolveInRoot(rootfs, p)).catch(() => undefined);
    if (st?.isFile()) return true;
  }
  return false;
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
export class BootContainerRun {
  private readonly exec: ContainerExec;

  private readonly layout: StoreLayout;

  constructor(private readonly images: ImageStore, private readonly containers: ContainerStore) {
    this.layout = images.layout;
    this.exec = systemdIsPid1() ? new MachinedExec() : new NsenterExec();
  }

  async run(opts: BootRunOptions): Promise<number> {
    if (opts.argv.length === 0 && !opts.captureLog) throw new RackerError('no command specified', { hint: 'give a command after the image name, e.g. bash' });
    containerWorkdir(opts.workdir, opts.image.config.config?.WorkingDir);
    checkEnvSize(opts.env);
    for (const v of opts.volumes) await checkVolumeSource(v);
    let c = opts.existing
      ? await remountContainer(this.layout, this.containers, opts.existing)
      : await mountContainer(this.layout, this.containers, { ...opts, argv: opts.argv, spec: this.spec(opts) });
    if (!opts.existing && !await hasSystemd(c.rootfs)) {
      let derived;
      try {
        derived = await (await import('./provision.js')).provisionSystemd(this.images, this.containers, opts.image, opts.imageName, c.rootfs);
      } finally {
        await c.release();
        if (!opts.autoRemove) await this.containers.remove(c.rec.id);
      }
      opts = { ...opts, image: derived };
      c = await mountContainer(this.layout, this.containers, { ...opts, argv: opts.argv, spec: this.spec(opts) });
    }
    let nspawn: AttachedChild | undefined;
    let ended: Promise<void> | undefined;
    try {
      const hostname = opts.hostname ?? c.rec.name;
      await writeIdentityFiles(c.rootfs, hostname);
      // a persistent journal in the writable layer, so `racker logs` can read it after the run
      await mkdirInRoot(c.rootfs, '/var/log/journal');
      for (const v of opts.volumes) await makeMountPoint(c.rootfs, v);
      const workdir = containerWorkdir(opts.workdir, opts.image.config.config?.WorkingDir);
      if (opts.argv.length) await checkCommand(c.rootfs, opts.argv[0], DEFAULT_PATH, workdir);

      const bootLog = path.join(c.dir, 'boot.log');
      const log = await open(bootLog, 'w', 0o600);
      try {
        nspawn = spawnAttached('systemd-nspawn', buildNspawnArgs({
          machine: c.rec.name, directory: c.rootfs, argv: [], env: [], hostname, boot: true,
          tty: false, binds: opts.volumes, register: systemdIsPid1(),
        }), 'ignore', log.fd);
      } finally {
        await log.close();
      }
      const leader = await findLeader(nspawn);
      c.rec.state = { status: 'running', supervisor: await ownToken(), ...await nspawnState(nspawn), leader, startedAt: new Date().toISOString() };
      await this.containers.write(c.rec);
      // nspawn killed: systemd and everything under it would run on
      let killed: number | undefined;
      ended = endWithNspawn(nspawn, leader);
      void nspawn.exited.then(n => { if (n > 128) killed = n; });

      const target = await this.waitUntilBooted(c.rec.name, nspawn, bootLog, opts.bootTimeout);
      opts.onStarted?.(c.rec);
      let code = opts.argv.length ? await this.runCommand(target, nspawn, opts, workdir, c.dir) : await nspawn.exit;
      code = killed ?? code;
      c.rec.state = { ...c.rec.state, status: 'exited', exitCode: code, finishedAt: new Date().toISOString() };
      await this.containers.write(c.rec);
      return code;
    } finally {
      if (nspawn) await this.powerOff(nspawn, opts.stopTimeout);
      await ended;
      await c.release();
    }
  }

  private spec(opts: BootRunOptions): RunSpec {
    return { mode: 'boot', env: opts.env, workdir: opts.workdir, user: opts.user, hostname: opts.hostname, volumes: opts.volumes, tty: opts.tty, interactive: opts.interactive };
  }

  /** Wait for the leader to appear and for systemd to finish starting up. */
  private async waitUntilBooted(machine: string, nspawn: AttachedChild, bootLog: string, timeoutSec: number): Promise<ExecTarget> {
    const deadline = Date.now() + timeoutSec * 1000;
    let exited = false;
    void nspawn.exit.then(() => { exited = true; }, () => { exited = true; });
    let state = 'not started';
    for (;;) {
      if (exited) {
        throw new RackerError(`container ${machine} failed to boot (systemd-nspawn exited)\n${await tail(bootLog, 20)}`, { hint: 'the lines above are the end of its boot log' });
      }
      const leader = nspawn.pid ? await containerLeader(nspawn.pid) : undefined;
      if (leader) {
        const target = { machine, leader };
        const { cmd, args } = this.exec.command(target, ['systemctl', 'is-system-running']);
        const r = await runAllowFail(cmd, args);
        state = String(r.stdout).trim() || state;
        if (state === 'running' || state === 'degraded') {
          verbose(`container ${machine} booted (${state})`);
          return target;
        }
        // 'offline' only means systemd cannot be reached yet; keep polling
        if (['maintenance', 'stopping'].includes(state)) break;
      }
      if (Date.now() > deadline) break;
      await new Promise(r => setTimeout(r, BOOT_POLL_MS));
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

  private async runCommand(target: ExecTarget, nspawn: AttachedChild, opts: BootRunOptions, workdir: string, dir: string): Promise<number> {
    // -t without a terminal on both sides: the pipes as they are (docs/run.md)
    const tty = !opts.captureLog && opts.outputFd === undefined && useTerminal(opts.tty);
    const { cmd, args } = this.exec.command(target, buildSystemdRunArgs({
      argv: opts.argv, env: opts.env, workdir, user: opts.user, tty,
    }));
    const log = opts.captureLog ? new LogWriter(path.join(dir, LOG_FILE)) : undefined;
    const child = spawnAttached(cmd, args, (opts.interactive || tty) && !log ? 'inherit' : 'ignore', log ? 'pipe' : opts.outputFd ?? 'inherit');
    if (log) {
      log.capture(child.stdout!, 'stdout');
      log.capture(child.stderr!, 'stderr');
    }
    // on Ctrl-C / SIGTERM power the container off: that ends the unit and systemd-run with it
    const stopper = new SignalForwarder(nspawn, opts.stopTimeout, () => nspawn.kill('SIGTERM'));
    try {
      const code = await child.exit;
      if (stopper.received) return 128 + (signalNumber(stopper.received) ?? 15);
      debug(`command in ${target.machine} exited with ${code}`);
      return code;
    } finally {
      stopper.dispose();
      await log?.close();
    }
  }

  /** SIGTERM makes nspawn halt the container (SIGRTMIN+3 to systemd); kill it if that takes too long. */
  private async powerOff(nspawn: AttachedChild, timeoutSec: number): Promise<void> {
    let done = false;
    const exited = nspawn.exit.then(() => { done = true; }, () => { done = true; });
    nspawn.kill('SIGTERM');
    const timer = new Promise(r => setTimeout(r, timeoutSec * 1000));
    await Promise.race([exited, timer]);
    if (!done) {
      const leader = nspawn.pid ? await containerLeader(nspawn.pid) : undefined;
      if (leader) process.kill(leader, 'SIGKILL');
      else nspawn.kill('SIGKILL');
      await exited;
    }
  }
}


