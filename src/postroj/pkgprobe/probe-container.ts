import { access, constants, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { RackerError } from '../../errors.js';
import { runAllowFail } from '../../process.js';
import type { Context } from '../../cli/context.js';
import { removeContainer } from '../../cli/racker/rm.js';
import { startDetached } from '../../runtime/detach.js';
import { containerLeader, systemdIsPid1 } from '../../runtime/host.js';
import { MachinedExec, NsenterExec, type ContainerExec, type ExecTarget } from '../../runtime/exec/container-exec.js';
import { buildSystemdRunArgs } from '../../runtime/exec/systemd-run-args.js';
import { resolveInRoot } from '../../runtime/rootfs-path.js';
import type { VolumeSpec } from '../../runtime/volumes.js';
import type { ImageRecord } from '../../store/image-store.js';
import { parseOsRelease, type OsRelease, type RootfsFacts } from './installers.js';

export interface CommandResult { exitCode: number; output: string; timedOut: boolean }

/**
 * A booted OS container that a probe works in: started detached (so it can be
 * kept for debugging), commands run in it as transient units, removed at the end.
 */
export class ProbeContainer {
  private readonly exec: ContainerExec = systemdIsPid1() ? new MachinedExec() : new NsenterExec();

  private constructor(private readonly ctx: Context, readonly id: string, readonly name: string, private readonly target: ExecTarget) {}

  static async start(ctx: Context, opts: { image: ImageRecord; imageName: string; name: string; volumes: VolumeSpec[]; bootTimeout: number }): Promise<ProbeContainer> {
    const id = await startDetached(ctx.settings.root, {
      mode: 'boot', imageId: opts.image.id, imageName: opts.imageName, command: [], env: [], volumes: opts.volumes,
      name: opts.name, autoRemove: false, stopTimeout: 10, bootTimeout: opts.bootTimeout,
    }, ctx.settings.debug);
    const rec = await ctx.containers.read(id);
    const leader = rec?.state.nspawnPid ? await containerLeader(rec.state.nspawnPid) : undefined;
    if (!rec || !leader) {
      if (rec) await removeContainer(ctx, rec.id, true).catch(() => undefined);
      throw new RackerError(`container ${opts.name} stopped right after booting`, { hint: `look at its boot log with racker logs ${opts.name}` });
    }
    return new ProbeContainer(ctx, id, rec.name, { machine: rec.name, leader });
  }

  get rootfs(): string { return path.join(this.ctx.containers.dir(this.id), 'rootfs'); }

  /** Run a command inside as a transient service; never throws for its exit code. */
  async run(argv: string[], opts: { env?: [string, string][]; timeoutMs?: number; inputFile?: string } = {}): Promise<CommandResult> {
    const { cmd, args } = this.exec.command(this.target, buildSystemdRunArgs({ argv, env: opts.env ?? [], workdir: '/', tty: false }));
    const r = await runAllowFail(cmd, args, {
      all: true, timeout: opts.timeoutMs, stripFinalNewline: true,
      ...(opts.inputFile ? { stdin: { file: opts.inputFile } } : {}),
    });
    return { exitCode: r.exitCode ?? 1, output: String(r.all ?? ''), timedOut: !!r.timedOut };
  }

  /**
   * Copy a host file into the container. The write happens inside, by the
   * container's own dd, so no host-side path ever resolves through the
   * (running, untrusted) root filesystem.
   */
  async copyIn(hostFile: string, containerPath: string): Promise<void> {
    const mk = await this.run(['mkdir', '-p', path.posix.dirname(containerPath)]);
    const r = mk.exitCode === 0 ? await this.run(['dd', `of=${containerPath}`, 'bs=1M', 'status=none'], { inputFile: hostFile, timeoutMs: 10 * 60_000 }) : mk;
    if (r.exitCode !== 0) throw new RackerError(`cannot copy ${path.basename(hostFile)} into container ${this.name}: ${r.output.split('\n').pop() ?? `exit code ${r.exitCode}`}`);
  }

  /** A host command that runs `argv` in the container's network namespace only (host binaries, container network). */
  networkCommand(argv: string[]): { cmd: string; args: string[] } {
    return { cmd: 'nsenter', args: ['--target', String(this.target.leader), '--net', '--', ...argv] };
  }

  /** Facts about the root filesystem, read from the host with paths resolved inside it. */
  async facts(): Promise<RootfsFacts> {
    const root = this.rootfs;
    let text = '';
    for (const p of ['/etc/os-release', '/usr/lib/os-release']) {
      text = await resolveInRoot(root, p).then(f => readFile(f, 'utf8'), () => '');
      if (text) break;
    }
    const os: OsRelease = parseOsRelease(text);
    return {
      os,
      has: (p: string) => resolveInRoot(root, p).then(f => access(f, constants.X_OK)).then(() => true, () => false),
      aptListsPresent: () => resolveInRoot(root, '/var/lib/apt/lists')
        .then(d => readdir(d)).then(names => names.some(n => n.endsWith('_Packages') || n.endsWith('_Packages.lz4')), () => false),
    };
  }

  /** Kill and remove the container with its writable layer. */
  async remove(): Promise<void> {
    await removeContainer(this.ctx, this.id, true);
  }
}
