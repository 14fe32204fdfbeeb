import path from 'node:path';
import { RackerError } from '../../errors.js';
import { runAllowFail } from '../../process.js';
import type { Engine } from '../../engine/engine.js';
import { unitCommand, type ExecTarget } from '../../engine/exec.js';
import type { VolumeSpec } from '../../model/mounts.js';
import type { ImageRecord } from '../../model/image.js';
import type { Removable } from './cleanup.js';
import { parseOsRelease, type OsRelease, type RootfsFacts } from './installers.js';

export interface CommandResult { exitCode: number; output: string; timedOut: boolean }

/**
 * A booted OS container that a probe works in: started detached (so it can be
 * kept for debugging) on a private network of its own, commands run in it as
 * transient units, removed with its network at the end.
 */
export class ProbeContainer {
  private constructor(private readonly engine: Engine, readonly id: string, readonly name: string, readonly network: string, private readonly target: ExecTarget) {}

  /**
   * The network has the container's name (unique per run): the probe's ports
   * are its own, so probes run side by side and a port that is busy on the
   * host does not matter; the outside world is reached through NAT.
   */
  static async start(engine: Engine, opts: { image: ImageRecord; imageName: string; name: string; volumes: VolumeSpec[]; bootTimeout: number }): Promise<ProbeContainer> {
    const network = opts.name;
    // a name that is taken (by chance) fails here, before anything of someone else's could be removed below
    await engine.networks.create({ name: network, labels: { 'postroj.probe': opts.name } });
    let id: string;
    try {
      ({ id } = await engine.containers.run({
        image: opts.image.id, imageName: opts.imageName, boot: true, name: opts.name, volumes: opts.volumes, bootTimeout: opts.bootTimeout,
        net: { network },
      }, { detach: true }, { pull: 'never' }));
    } catch (err) {
      // a container that failed to boot is not kept either
      await ProbeContainer.discard(engine, opts.name, network);
      throw err;
    }
    const target = await engine.containers.execTarget(id);
    if (!target) {
      await ProbeContainer.discard(engine, id, network);
      throw new RackerError(`container ${opts.name} stopped right after booting`, { hint: `look at its boot log with racker logs ${opts.name}` });
    }
    return new ProbeContainer(engine, id, target.machine, network, target);
  }

  /** What removes the probe container `name` and its network, from before it is started (an interrupt while it boots). */
  static pending(engine: Engine, name: string): Removable {
    return { name, remove: () => ProbeContainer.discard(engine, name, name) };
  }

  /** Remove a probe container and its network, whatever exists of them (a failed or interrupted start). */
  static async discard(engine: Engine, container: string, network: string): Promise<void> {
    await engine.containers.remove(container, { force: true }).catch(() => undefined);
    await engine.networks.remove(network).catch(() => undefined);
  }

  /** Run a command inside as a transient service; never throws for its exit code. */
  async run(argv: string[], opts: { env?: [string, string][]; timeoutMs?: number; inputFile?: string } = {}): Promise<CommandResult> {
    const { cmd, args } = unitCommand(this.target, argv, opts.env ?? []);
    const r = await runAllowFail(cmd, args, {
      all: true, timeout: opts.timeoutMs, stripFinalNewline: true,
      ...(opts.inputFile ? { inputFile: opts.inputFile } : {}),
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

  /**
   * Facts about the distribution, read *inside* the running container: its
   * root filesystem is the image's (untrusted) and can change under us, so the
   * host never opens paths in it (an os-release that is a FIFO or a symlink to
   * a host file only affects this fixed, bounded script).
   */
  async facts(): Promise<RootfsFacts> {
    const tools = ['/usr/bin/apt-get', '/usr/bin/dnf', '/usr/bin/dnf5', '/usr/bin/yum', '/usr/bin/microdnf', '/usr/bin/zypper', '/usr/bin/pacman', '/sbin/apk'];
    const script = [
      'for f in /etc/os-release /usr/lib/os-release; do if [ -f "$f" ]; then head -c 65536 "$f"; break; fi; done',
      'echo; echo @@tools',
      'for t in "$@"; do [ -x "$t" ] && echo "$t"; done',
      'echo @@lists',
      'ls /var/lib/apt/lists 2>/dev/null | grep -c "_Packages" || true',
    ].join('\n');
    const r = await this.run(['/bin/sh', '-c', script, 'sh', ...tools], { timeoutMs: 30_000 });
    const [osText, rest = ''] = r.output.split('\n@@tools\n');
    const [toolText, lists = '0'] = rest.split('\n@@lists\n');
    const found = new Set(toolText.split('\n').filter(Boolean));
    const os: OsRelease = parseOsRelease(osText);
    return { os, has: async (p: string) => found.has(p), aptListsPresent: async () => Number(lists.trim()) > 0 };
  }

  /** Kill and remove the container with its writable layer, then its network. */
  async remove(): Promise<void> {
    await this.engine.containers.remove(this.id, { force: true });
    await this.engine.networks.remove(this.network);
  }
}
