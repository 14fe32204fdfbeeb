import type { Command } from 'commander';
import path from 'node:path';
import { RackerError } from '../../errors.js';
import { contextFrom, type Context } from '../context.js';
import { printable } from '../../untrusted.js';
import { reconcile, isMounted } from '../../store/container-state.js';
import { unmount } from '../../runtime/overlay.js';
import { containerLeader } from '../../runtime/host.js';
import type { ContainerRecord } from '../../store/container-store.js';

/** Kill a running container at once: SIGKILL to its PID 1 ends its PID namespace and nspawn with it. */
export async function killNow(ctx: Context, rec: ContainerRecord): Promise<void> {
  const pid = rec.state.nspawnPid;
  if (!pid) return;
  const fresh = await ctx.containers.read(rec.id);
  if (fresh) await ctx.containers.write({ ...fresh, state: { ...fresh.state, killedBy: 'SIGKILL' } });
  const leader = await containerLeader(pid);
  try { process.kill(leader ?? pid, 'SIGKILL'); } catch { /* gone already */ }
  for (let i = 0; i < 100; i++) {
    try { process.kill(pid, 0); } catch { return; }
    await new Promise(r => setTimeout(r, 50));
  }
}

export async function removeContainer(ctx: Context, nameOrId: string, force: boolean): Promise<ContainerRecord> {
  let rec = await reconcile(ctx.containers, await ctx.containers.get(nameOrId));
  if (rec.state.status === 'running') {
    if (!force) throw new RackerError(`cannot remove container ${rec.name}: it is running`, { hint: `stop it first (racker stop ${rec.name}) or use -f` });
    await killNow(ctx, rec);
    // its supervising racker notices the exit and records it; give it a moment, then clean up ourselves
    for (let i = 0; i < 40 && rec.state.status === 'running'; i++) {
      await new Promise(r => setTimeout(r, 50));
      rec = (await ctx.containers.read(rec.id)) ?? rec;
    }
  }
  const rootfs = path.join(ctx.containers.dir(rec.id), 'rootfs');
  if (await isMounted(rootfs)) await unmount(rootfs);
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
