import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import { contextFrom, type Context } from '../context.js';
import { printable } from '../../untrusted.js';
import { reconcile } from '../../store/container-state.js';
import { containerLeader } from '../../runtime/host.js';
import { startDetached } from '../../runtime/detach.js';
import type { ContainerRecord } from '../../store/container-store.js';
import { signalNumber } from '../../process.js';
import { killNow } from './rm.js';

async function waitExited(ctx: Context, id: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const rec = await ctx.containers.read(id);
    if (!rec || (await reconcile(ctx.containers, rec)).state.status !== 'running') return true;
    await new Promise(r => setTimeout(r, 50));
  }
  return false;
}

/**
 * Clean shutdown: SIGTERM to systemd-nspawn, which passes SIGTERM to an app's
 * PID 1 or halts a booted systemd; SIGKILL after the timeout.
 */
export async function stopContainer(ctx: Context, rec: ContainerRecord, timeoutSec: number): Promise<void> {
  rec = await reconcile(ctx.containers, rec);
  if (rec.state.status !== 'running' || !rec.state.nspawnPid) return;
  try { process.kill(rec.state.nspawnPid, 'SIGTERM'); } catch { /* already gone */ }
  if (await waitExited(ctx, rec.id, timeoutSec * 1000)) return;
  await killNow(ctx, rec);
  await waitExited(ctx, rec.id, 5000);
}

export async function startContainer(ctx: Context, rec: ContainerRecord): Promise<void> {
  rec = await reconcile(ctx.containers, rec);
  if (rec.state.status === 'running') return;
  const image = await ctx.images.readImage(rec.image);
  if (!image) throw new RackerError(`image of container ${rec.name} is gone`, { hint: 'remove the container and run it anew' });
  await startDetached(ctx.settings.root, {
    mode: rec.spec?.mode ?? 'app', imageId: rec.image, imageName: rec.imageName, command: rec.argv,
    env: rec.spec?.env ?? [], workdir: rec.spec?.workdir, user: rec.spec?.user, hostname: rec.spec?.hostname,
    volumes: rec.spec?.volumes ?? [], name: rec.name, autoRemove: rec.autoRemove, stopTimeout: 10, bootTimeout: 60,
    existingId: rec.id,
  }, ctx.settings.debug);
}

function forEach(program: Command, fn: (ctx: Context, rec: ContainerRecord) => Promise<void>) {
  return async (names: string[]) => {
    const ctx = contextFrom(program);
    let failed = false;
    for (const n of names) {
      try {
        await fn(ctx, await ctx.containers.get(n));
        process.stdout.write(`${n}\n`);
      } catch (err) {
        if (names.length === 1) throw err;
        failed = true;
        process.stderr.write(`racker: ${printable((err as Error).message)}\n`);
      }
    }
    if (failed) process.exitCode = 1;
  };
}

function timeoutOf(flags: { time: string }): number {
  const t = Number(flags.time);
  if (!Number.isFinite(t) || t < 0) throw new RackerError(`invalid --time '${flags.time}'`, { hint: 'seconds, e.g. -t 10' });
  return t;
}

export function register(program: Command): void {
  program.command('stop')
    .description('stop running containers (SIGTERM, or power off a booted one; SIGKILL after the timeout)')
    .argument('<container...>')
    .option('-t, --time <seconds>', 'seconds to wait before killing', '10')
    .action((names: string[], flags: { time: string }) => forEach(program, (ctx, rec) => stopContainer(ctx, rec, timeoutOf(flags)))(names));

  program.command('kill')
    .description('send a signal to the main process of running containers')
    .argument('<container...>')
    .option('-s, --signal <signal>', 'signal name or number', 'KILL')
    .action((names: string[], flags: { signal: string }) => forEach(program, async (ctx, rec) => {
      rec = await reconcile(ctx.containers, rec);
      if (rec.state.status !== 'running' || !rec.state.nspawnPid) throw new RackerError(`container ${rec.name} is not running`);
      const name = /^\d+$/.test(flags.signal) ? Number(flags.signal) : `SIG${flags.signal.toUpperCase().replace(/^SIG/, '')}`;
      if (typeof name === 'string' && signalNumber(name) === undefined) throw new RackerError(`invalid signal '${flags.signal}'`);
      const leader = await containerLeader(rec.state.nspawnPid);
      if (!leader) throw new RackerError(`container ${rec.name} has no main process yet`);
      if (name === 'SIGKILL' || name === 9) await ctx.containers.write({ ...rec, state: { ...rec.state, killedBy: 'SIGKILL' } });
      process.kill(leader, name);
    })(names));

  program.command('start')
    .description('start stopped containers again, with their writable layer')
    .argument('<container...>')
    .action((names: string[]) => forEach(program, startContainer)(names));

  program.command('restart')
    .description('stop and start containers')
    .argument('<container...>')
    .option('-t, --time <seconds>', 'seconds to wait before killing', '10')
    .action((names: string[], flags: { time: string }) => forEach(program, async (ctx, rec) => {
      await stopContainer(ctx, rec, timeoutOf(flags));
      await startContainer(ctx, (await ctx.containers.get(rec.id)));
    })(names));
}
