import type { Command } from 'commander';
import path from 'node:path';
import { RackerError } from '../../errors.js';
import { contextFrom, type Context } from '../context.js';
import { printable } from '../../untrusted.js';
import { endProcesses, endSupervisor, isMounted, leftovers, reconcile } from '../../store/container-state.js';
import { unmount } from '../../runtime/overlay.js';
import type { ContainerRecord } from '../../store/container-store.js';

/** Kill a running container at once: SIGKILL to its PID 1 ends its PID namespace and nspawn with it. */
export async function killNow(ctx: Context, rec: ContainerRecord): Promise<void> {
  if (!rec.state.nspawnPid) return;
  const fresh = await ctx.containers.read(rec.id);
  if (fresh) await ctx.containers.write({ ...fresh, state: { ...fresh.state, killedBy: 'SIGKILL' } });
  await endProcesses(rec.state);
}

export async function removeContainer(ctx: Context, nameOrId: string, force: boolean): Promise<ContainerRecord> {
  let rec = await reconcile(ctx.containers, await ctx.containers.get(nameOrId));
  if (rec.state.status === 'running') {
    if (!force) throw new RackerError(`cannot remove container ${rec.name}: it is running`, { hint: `stop it first (racker stop ${rec.name}) or use -f` });
    await killNow(ctx, rec);
    // its supervising racker notices the exit and records it; one that does not is ended by reconcile
    for (let i = 0; i < 40 && rec.state.status === 'running'; i++) {
      await new Promise(r => setTimeout(r, 50));
      const fresh = await ctx.containers.read(rec.id);
      // gone: it was --rm, and its racker removed it
      rec = fresh ?? { ...rec, state: { ...rec.state, status: 'exited' } };
    }
    rec = await reconcile(ctx.containers, rec);
  }
  // nothing of it may run on once it is gone: its PID namespace, nspawn, its supervisor, its mount
  await endProcesses(rec.state);
  await endSupervisor(rec.state.supervisor, 5000);
  const rootfs = path.join(ctx.containers.dir(rec.id), 'rootfs');
  if (await isMounted(rootfs)) await unmount(rootfs);
  const left = await leftovers(ctx.containers, rec);
  if (left.length) {
    throw new RackerError(`container ${rec.name} was not removed: ${left.join(', ')} still there`, {
      hint: `run racker rm -f ${rec.name} again; a process that stays is stuck in the kernel (ps -o pid,stat,wchan -p PID)`,
    });
  }
  await ctx.containers.remove(rec.id);
  return rec;
}

export function register(program: Command): void {
  program.command('rm')
    .description('remove containers')
    .argument('<container...>')
    .option('-f, --force', 'kill and remove running containers')
    .action(async (names: string[], flags: { force?: boolean }) => {
      const ctx = contextFrom(program);
      let failed = false;
      for (const n of names) {
        try {
          await removeContainer(ctx, n, !!flags.force);
          process.stdout.write(`${n}\n`);
        } catch (err) {
          if (names.length === 1) throw err;
          failed = true;
          process.stderr.write(`racker: ${printable((err as Error).message)}\n`);
        }
      }
      if (failed) process.exitCode = 1;
    });

  program.command('container')
    .description('manage containers')
    .command('prune')
    .description('remove all stopped containers')
    .action(async () => {
      const ctx = contextFrom(program);
      for (const c of await ctx.containers.list()) {
        const rec = await reconcile(ctx.containers, c);
        if (rec.state.status === 'running') continue;
        await removeContainer(ctx, rec.id, false).catch(() => undefined);
        process.stdout.write(`${rec.id}\n`);
      }
    });
}
