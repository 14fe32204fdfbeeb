import path from 'node:path';
import { EXIT, RackerError } from '../errors.js';
import { type ImageRecord, shortId } from '../model/image.js';
import { runAllowFail, spawnAttached } from '../process.js';
import { DEFAULT_PATH } from '../runtime/command-lookup.js';
import { imageEnv, mergeEnv } from '../runtime/env.js';
import { confinedCommand, encodedEnv } from '../runtime/exec/confine.js';
import { hostExecPath } from '../runtime/exec/container-exec.js';
import { buildSystemdRunArgs } from '../runtime/exec/systemd-run-args.js';
import { RUN_ENV, UNIT_ENV_DIR, writeUnitEnv } from '../runtime/exec/unit-env.js';
import { containerLeader } from '../runtime/host.js';
import { mustBeAbleTo } from '../runtime/lifecycle.js';
import { useTerminal } from '../runtime/terminal.js';
import { lookupIds } from '../runtime/user.js';
import { containerWorkdir } from '../runtime/workdir.js';
import type { ContainerRecord } from '../model/container.js';

export interface ExecOptions {
  /** added to the container's environment */
  env?: [string, string][];
  user?: string;
  workdir?: string;
  /** pass racker's stdin */
  interactive?: boolean;
  /** a pseudo-terminal, when racker's stdin and stdout are terminals */
  tty?: boolean;
  /** the command's output: racker's own, or a file descriptor */
  output?: 'inherit' | { fd: number };
}

/**
 * Run a command in a running container and return its exit code (docker's
 * 126/127 when it cannot be run). Nothing is looked up on the host inside the
 * container's (running, untrusted) root: the command, the working directory and
 * the user's switch all happen inside.
 */
export async function execIn(rec: ContainerRecord, image: ImageRecord | undefined, rootfs: string, argv: string[], opts: ExecOptions): Promise<number> {
  mustBeAbleTo(rec, 'exec');
  const leader = rec.state.nspawnPid ? await containerLeader(rec.state.nspawnPid) : undefined;
  if (!leader) throw new RackerError(`container ${rec.name} has no main process yet`, { hint: 'try again in a moment' });
  // -t without a terminal on both sides: the pipes as they are (docs/run.md)
  const tty = useTerminal(!!opts.tty);
  const stdin = opts.interactive || tty ? 'inherit' : 'ignore';
  const output = opts.output === undefined || opts.output === 'inherit' ? 'inherit' : opts.output.fd;
  if (rec.spec.mode === 'boot') {
    // the command is looked up by the container's own shell (confined, as everything run there): systemd-run would only say 203/EXEC
    const probe = hostExecPath().command({ machine: rec.name, leader }, ['/bin/sh', '-c', 'command -v -- "$1" >/dev/null', 'sh', argv[0]]);
    const found = await runAllowFail(probe.cmd, probe.args);
    // 125: the helper could not confine the probe (its own one line says why): that, not "not found"
    if (found.exitCode === EXIT.RACKER) throw new RackerError(found.stderr.trim().replace(/^racker: /, '').slice(0, 300) || 'exec: cannot run a command in the container');
    if (found.exitCode !== 0) {
      throw new RackerError(`exec: "${argv[0].slice(0, 200)}": executable file not found in the container's PATH`, { exitCode: 127 });
    }
  }
  const c = await commandIn(rec, image, leader, rootfs, argv, { ...opts, tty });
  try {
    return await spawnAttached(c.cmd, c.args, stdin, output, c.env ? { env: c.env, extendEnv: false } : {}).exit;
  } finally {
    await c.removeEnvFile?.();
  }
}

/**
 * The host command that runs `argv` in the running container whose PID 1 is
 * `leader`, as exec and health checks run it: in a booted container a
 * transient unit (systemd-run) with the container's environment; in an app
 * container racker-enter (runtime/exec/confine.ts) gives it the payload's
 * confinement, user (-u, else the container's) and working directory, and
 * the container's whole environment (`env`: the process gets only that).
 */
export async function commandIn(rec: ContainerRecord, image: ImageRecord | undefined, leader: number, rootfs: string, argv: string[],
  opts: { env?: [string, string][]; user?: string; workdir?: string; tty?: boolean }): Promise<{ cmd: string; args: string[]; env?: NodeJS.ProcessEnv; removeEnvFile?: () => Promise<void> }> {
  const spec = rec.spec;
  const cfg = image?.config.config;
  // -w, else the container's, else the image's WorkingDir
  const workdir = containerWorkdir(opts.workdir ?? spec.workdir, cfg?.WorkingDir);
  if (spec.mode === 'boot') {
    // the environment in files racker bound into the container at its start, not on a command line (exec/unit-env.ts)
    const envFiles = [path.posix.join(UNIT_ENV_DIR, RUN_ENV)];
    const own = opts.env?.length ? await writeUnitEnv(path.dirname(rootfs), opts.env) : undefined;
    if (own) envFiles.push(own.inContainer);
    const c = hostExecPath().command({ machine: rec.name, leader }, buildSystemdRunArgs({ argv, env: [], envFiles, workdir, user: opts.user, tty: !!opts.tty }));
    return { ...c, removeEnvFile: own?.remove };
  }
  const env = mergeEnv([['PATH', DEFAULT_PATH]], imageEnv(cfg?.Env), [['HOSTNAME', spec.hostname ?? shortId(rec.id)]], spec.env, opts.env ?? []);
  // docker's exec runs as the container's user unless -u says otherwise
  const user = opts.user ?? spec.user;
  const ids = user ? await lookupIds(rootfs, user) : undefined;
  const c = confinedCommand({ leader, spec, user: ids, cwd: workdir, envEncoded: true }, argv);
  return { ...c, env: encodedEnv(env) };
}

/** A running booted container as commands reach it: its machine name and its PID 1 on the host. */
export type { ExecTarget } from '../runtime/exec/container-exec.js';

/**
 * The host command that runs `argv` inside a booted container as a transient
 * unit (`systemd-run --wait`, postroj's probes), through the host's exec path
 * (machined, or racker-enter without it).
 */
export function unitCommand(target: { machine: string; leader: number }, argv: string[], env: [string, string][] = []): { cmd: string; args: string[] } {
  return hostExecPath().command(target, buildSystemdRunArgs({ argv, env, workdir: '/', tty: false }));
}
