import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EXIT, RackerError } from '../errors.js';
import { debug, verbose } from '../log.js';
import { spawnAttached, signalNumber } from '../process.js';
import type { ImageRecord } from '../store/image-store.js';
import type { ContainerRecord, ContainerStore } from '../store/container-store.js';
import type { StoreLayout } from '../store/layout.js';
import { buildNspawnArgs } from './nspawn-args.js';
import { containerLeader, ensureNspawnRuntimeDir, systemdIsPid1 } from './host.js';
import { mountOverlay, unmount } from './overlay.js';
import { mkdirInRoot, writeFileInRoot } from './rootfs-path.js';
import { checkCommand, DEFAULT_PATH } from './command-lookup.js';
import { mergeEnv, imageEnv } from './env.js';
import { resolveUser } from './user.js';
import { checkVolumeSource, type VolumeSpec } from './volumes.js';

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
}

/** docker's rule: Entrypoint + Cmd, where a given command replaces Cmd and --entrypoint replaces Entrypoint. */
export function commandLine(config: ImageRecord['config']['config'], command: string[], entrypoint?: string): string[] {
  const ep = entrypoint !== undefined ? (entrypoint === '' ? [] : [entrypoint]) : (config?.Entrypoint ?? []);
  const cmd = command.length ? command : (entrypoint !== undefined ? [] : (config?.Cmd ?? []));
  return [...ep, ...cmd];
}

async function hostResolvConf(): Promise<string> {
  return readFile('/etc/resolv.conf', 'utf8').catch(() => 'nameserver 127.0.0.1\n');
}

/** Files docker gives every container; written inside the rootfs, replacing whatever the image had there. */
async function writeIdentityFiles(rootfs: string, hostname: string): Promise<void> {
  await writeFileInRoot(rootfs, '/etc/hostname', `${hostname}\n`);
  await writeFileInRoot(rootfs, '/etc/hosts',
    `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${hostname}\n`);
  await writeFileInRoot(rootfs, '/etc/resolv.conf', await hostResolvConf());
}

export class AppContainerRun {
  constructor(private readonly layout: StoreLayout, private readonly containers: ContainerStore) {}

  async run(opts: AppRunOptions): Promise<number> {
    const argv = commandLine(opts.image.config.config, opts.command, opts.entrypoint);
    if (argv.length === 0) {
      throw new RackerError('no command specified', { hint: 'the image has no Entrypoint or Cmd: give a command after the image name' });
    }
    for (const v of opts.volumes) await checkVolumeSource(v);
    await ensureNspawnRuntimeDir();
    const rec = await this.containers.create({
      name: opts.name, image: opts.image.id, imageName: opts.imageName,
      layers: opts.image.layers, argv, autoRemove: opts.autoRemove,
    });
    const dir = this.containers.dir(rec.id);
    const rootfs = path.join(dir, 'rootfs');
    let mounted = false;
    try {
      await mountOverlay({
        lowers: [...opts.image.layers].reverse().map(l => this.layout.layerFs(l)),
        upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), target: rootfs,
      });
      mounted = true;
      return await this.start(rec, rootfs, argv, opts);
    } finally {
      if (mounted) await unmount(rootfs);
      if (opts.autoRemove) await this.containers.remove(rec.id);
    }
  }

  private async start(rec: ContainerRecord, rootfs: string, argv: string[], opts: AppRunOptions): Promise<number> {
    const cfg = opts.image.config.config ?? {};
    const hostname = opts.hostname ?? rec.id.slice(0, 12);
    const env = mergeEnv([['PATH', DEFAULT_PATH]], imageEnv(cfg.Env), [['HOSTNAME', hostname]], opts.env);
    const workdir = opts.workdir ?? (cfg.WorkingDir || '/');
    // systemd-nspawn refuses a tree without /usr; busybox-style images have none
    await mkdirInRoot(rootfs, '/usr');
    await mkdirInRoot(rootfs, workdir);
    await writeIdentityFiles(rootfs, hostname);
    for (const v of opts.volumes) await mkdirInRoot(rootfs, v.target);
    const user = await resolveUser(rootfs, opts.user ?? cfg.User);
    await checkCommand(rootfs, argv[0], env.find(([k]) => k === 'PATH')?.[1] ?? DEFAULT_PATH, workdir);

    const args = buildNspawnArgs({
      machine: rec.name, directory: rootfs, argv, env, workdir, user, hostname,
      tty: opts.tty, binds: opts.volumes, register: systemdIsPid1(), killSignal: 'SIGTERM',
    });
    const child = spawnAttached('systemd-nspawn', args, opts.interactive ? 'inherit' : 'ignore');
    rec.state = { status: 'running', nspawnPid: child.pid, startedAt: new Date().toISOString() };
    await this.containers.write(rec);

    const stopper = new SignalForwarder(child, opts.stopTimeout ?? 10);
    let code: number;
    try {
      code = await child.exit;
    } finally {
      stopper.dispose();
    }
    if (stopper.received) code = 128 + (signalNumber(stopper.received) ?? 15);
    rec.state = { ...rec.state, status: 'exited', exitCode: code, finishedAt: new Date().toISOString() };
    await this.containers.write(rec);
    verbose(`container ${rec.name} exited with code ${code}`);
    return code;
  }
}

/**
 * Ctrl-C / SIGTERM / SIGHUP to racker: ask the container to stop (nspawn passes
 * SIGTERM to its PID 1), kill it after the timeout, or at once on a second signal.
 */
class SignalForwarder {
  received: NodeJS.Signals | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly handler = (sig: NodeJS.Signals) => this.onSignal(sig);

  constructor(private readonly child: { pid: number | undefined; kill(s: NodeJS.Signals): void }, private readonly timeoutSec: number) {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, this.handler);
  }

  private onSignal(sig: NodeJS.Signals): void {
    if (this.received) { void this.killNow(); return; }
    this.received = sig;
    debug(`got ${sig}: stopping the container`);
    this.child.kill('SIGTERM');
    this.timer = setTimeout(() => void this.killNow(), this.timeoutSec * 1000);
  }

  /** SIGKILL the container's PID 1: its PID namespace dies with it, and nspawn exits. */
  private async killNow(): Promise<void> {
    const leader = this.child.pid ? await containerLeader(this.child.pid) : undefined;
    if (leader) process.kill(leader, 'SIGKILL');
    else this.child.kill('SIGKILL');
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, this.handler);
  }
}

export { EXIT };
