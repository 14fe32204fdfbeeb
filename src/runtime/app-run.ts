import { RackerError } from '../errors.js';
import { verbose, warn } from '../log.js';
import { spawnAttached, signalNumber } from '../process.js';
import type { ImageRecord } from '../store/image-store.js';
import type { ContainerRecord, ContainerStore } from '../store/container-store.js';
import type { StoreLayout } from '../store/layout.js';
import { buildNspawnArgs } from './nspawn-args.js';
import { systemdIsPid1 } from './host.js';
import { SignalForwarder } from './signal-forwarder.js';
import { endWithNspawn, findLeader, nspawnState } from './pid-namespace.js';
import { ownToken } from '../store/lock.js';
import { mkdirInRoot } from './rootfs-path.js';
import { mountContainer, remountContainer, writeIdentityFiles } from './container-setup.js';
import { LogWriter, LOG_FILE } from './container-log.js';
import path from 'node:path';
import { checkCommand, DEFAULT_PATH } from './command-lookup.js';
import { checkEnvSize, mergeEnv, imageEnv } from './env.js';
import { resolveUser } from './user.js';
import { containerWorkdir } from './workdir.js';
import { checkVolumeSource, makeMountPoint, type VolumeSpec } from './volumes.js';
import { useTerminal } from './terminal.js';

export interface AppRunOptions {
  image: ImageRecord;
  imageName: string;
  /** replaces the image's Cmd when given */
  command: string[];
  /** replaces the image's Entrypoint when given ('' clears it) */
  entrypoint?: string;
  interactive: boolean;
  tty: boolean;
  autoRemove: boolean;
  name?: string;
  env: [string, string][];
  workdir?: string;
  user?: string;
  hostname?: string;
  volumes: VolumeSpec[];
  /** seconds between SIGTERM and SIGKILL when racker is interrupted */
  stopTimeout?: number;
  /** detached: capture stdout/stderr into this container's log instead of passing them through */
  captureLog?: boolean;
  /** called once the container is running (detached runs report back to the CLI) */
  onStarted?: (rec: ContainerRecord) => void;
  /** start this existing container again, with its writable layer (`racker start`) */
  existing?: ContainerRecord;
}

/** docker's rule: Entrypoint + Cmd, where a given command replaces Cmd and --entrypoint replaces Entrypoint. */
export function commandLine(config: ImageRecord['config']['config'], command: string[], entrypoint?: string): string[] {
  const ep = entrypoint !== undefined ? (entrypoint === '' ? [] : [entrypoint]) : (config?.Entrypoint ?? []);
  const cmd = command.length ? command : (entrypoint !== undefined ? [] : (config?.Cmd ?? []));
  return [...ep, ...cmd];
}

export class AppContainerRun {
  constructor(private readonly layout: StoreLayout, private readonly containers: ContainerStore) {}

  async run(opts: AppRunOptions): Promise<number> {
    const argv = commandLine(opts.image.config.config, opts.command, opts.entrypoint);
    if (argv.length === 0) {
      throw new RackerError('no command specified', { hint: 'the image has no Entrypoint or Cmd: give a command after the image name' });
    }
    containerWorkdir(opts.workdir, opts.image.config.config?.WorkingDir);
    for (const v of opts.volumes) await checkVolumeSource(v);
    const c = opts.existing ? await remountContainer(this.layout, this.containers, opts.existing) : await mountContainer(this.layout, this.containers, { ...opts, argv, spec: {
      mode: 'app', env: opts.env, workdir: opts.workdir, user: opts.user, hostname: opts.hostname,
      volumes: opts.volumes, tty: opts.tty, interactive: opts.interactive,
    } });
    try {
      return await this.start(c.rec, c.rootfs, argv, opts);
    } finally {
      await c.release();
    }
  }

  private async start(rec: ContainerRecord, rootfs: string, argv: string[], opts: AppRunOptions): Promise<number> {
    const cfg = opts.image.config.config ?? {};
    const hostname = opts.hostname ?? rec.id.slice(0, 12);
    const env = mergeEnv([['PATH', DEFAULT_PATH]], imageEnv(cfg.Env, name => warn(`the image's Env entry ${JSON.stringify(name.slice(0, 80))} cannot be passed on by systemd-nspawn (names are letters, digits and _): left out`)), [['HOSTNAME', hostname]], opts.env);
    checkEnvSize(env);
    const workdir = containerWorkdir(opts.workdir, cfg.WorkingDir);
    await mkdirInRoot(rootfs, workdir);
    await writeIdentityFiles(rootfs, hostname);
    for (const v of opts.volumes) await makeMountPoint(rootfs, v);
    const user = await resolveUser(rootfs, opts.user ?? cfg.User ?? undefined);
    await checkCommand(rootfs, argv[0], env.find(([k]) => k === 'PATH')?.[1] ?? DEFAULT_PATH, workdir);

    const log = opts.captureLog ? new LogWriter(path.join(this.containers.dir(rec.id), LOG_FILE)) : undefined;
    // -t without a terminal on both sides: the pipes as they are (docs/run.md)
    const args = buildNspawnArgs({
      machine: rec.name, directory: rootfs, argv, env, workdir, user, hostname,
      tty: !log && useTerminal(opts.tty), binds: opts.volumes, register: systemdIsPid1(), killSignal: 'SIGTERM',
    });
    const child = spawnAttached('systemd-nspawn', args, opts.interactive && !log ? 'inherit' : 'ignore', log ? 'pipe' : 'inherit');
    if (log) {
      log.capture(child.stdout!, 'stdout');
      log.capture(child.stderr!, 'stderr');
    }
    const leader = await findLeader(child);
    rec.state = { status: 'running', supervisor: await ownToken(), ...await nspawnState(child), leader, startedAt: new Date().toISOString() };
    await this.containers.write(rec);
    opts.onStarted?.(rec);

    const stopper = new SignalForwarder(child, opts.stopTimeout ?? 10);
    // nspawn killed: its payload would run on (and hold our pipes open)
    const ended = endWithNspawn(child, leader);
    let code: number;
    try {
      code = await child.exit;
      await ended;
    } finally {
      stopper.dispose();
      await log?.close();
    }
    if (stopper.received) code = 128 + (signalNumber(stopper.received) ?? 15);
    // killed by `racker stop/kill/rm -f`: nspawn says 1, docker users expect 128+signal
    const killedBy = (await this.containers.read(rec.id))?.state.killedBy;
    if (killedBy && code === 1) code = 128 + (signalNumber(killedBy) ?? 9);
    rec.state = { ...rec.state, status: 'exited', exitCode: code, finishedAt: new Date().toISOString() };
    await this.containers.write(rec);
    verbose(`container ${rec.name} exited with code ${code}`);
    return code;
  }
}

