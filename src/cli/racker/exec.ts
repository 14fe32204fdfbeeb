import type { Command } from 'commander';
import path from 'node:path';
import { RackerError } from '../../errors.js';
import { collect, contextFrom } from '../context.js';
import { reconcile } from '../../store/container-state.js';
import { containerLeader, systemdIsPid1 } from '../../runtime/host.js';
import { checkCommand, DEFAULT_PATH } from '../../runtime/command-lookup.js';
import { mergeEnv, parseEnvAssignments } from '../../runtime/env.js';
import { resolveInRoot } from '../../runtime/rootfs-path.js';
import { lookupIds } from '../../runtime/user.js';
import { containerWorkdir } from '../../runtime/workdir.js';
import { MachinedExec, NsenterExec } from '../../runtime/exec/container-exec.js';
import { buildSystemdRunArgs } from '../../runtime/exec/systemd-run-args.js';
import { spawnAttached } from '../../process.js';
import { useTerminal } from '../../runtime/terminal.js';

interface ExecFlags { interactive?: boolean; tty?: boolean; env: string[]; user?: string; workdir?: string }

export function register(program: Command): void {
  program.command('exec')
    .description('run a command in a running container')
    .usage('[options] CONTAINER COMMAND [ARG...]')
    .argument('<container>')
    .argument('<command...>')
    .passThroughOptions()
    .option('-i, --interactive', 'pass stdin to the command')
    .option('-t, --tty', 'use the terminal')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('-u, --user <user[:group]>', 'user to run as')
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .action(async (name: string, argv: string[], flags: ExecFlags) => {
      const ctx = contextFrom(program);
      const rec = await reconcile(ctx.containers, await ctx.containers.get(name));
      if (rec.state.status !== 'running' || !rec.state.nspawnPid) throw new RackerError(`container ${rec.name} is not running`, { hint: `start it first: racker start ${rec.name}` });
      const leader = await containerLeader(rec.state.nspawnPid);
      if (!leader) throw new RackerError(`container ${rec.name} has no main process yet`, { hint: 'try again in a moment' });
      const rootfs = path.join(ctx.containers.dir(rec.id), 'rootfs');
      const env = mergeEnv(rec.spec?.env ?? [], parseEnvAssignments(flags.env, process.env));
      const workdir = containerWorkdir(flags.workdir ?? rec.spec?.workdir, undefined);
      const searchPath = env.find(([k]) => k === 'PATH')?.[1] ?? DEFAULT_PATH;
      await checkCommand(rootfs, argv[0], searchPath, workdir);
      // -t without a terminal on both sides: the pipes as they are (docs/run.md)
      const tty = useTerminal(!!flags.tty);
      const stdin = flags.interactive || tty ? 'inherit' : 'ignore';

      if (rec.spec?.mode === 'boot') {
        const exec = systemdIsPid1() ? new MachinedExec() : new NsenterExec();
        const { cmd, args } = exec.command({ machine: rec.name, leader }, buildSystemdRunArgs({ argv, env, workdir, user: flags.user, tty }));
        process.exitCode = await spawnAttached(cmd, args, stdin).exit;
        return;
      }
      // app containers: enter the namespaces of its PID 1 with the container's environment
      const args = ['--target', String(leader), '--all', `--wd=${await resolveInRoot(rootfs, workdir)}`];
      if (flags.user) {
        const ids = await lookupIds(rootfs, flags.user);
        args.push(`--setuid=${ids.uid}`, `--setgid=${ids.gid}`);
      }
      const child = spawnAttached('nsenter', [...args, '--', ...argv], stdin, 'inherit', { env: Object.fromEntries(env), extendEnv: false });
      process.exitCode = await child.exit;
    });
}
