import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import { contextFrom, type Context } from '../context.js';
import { AppContainerRun } from '../../runtime/app-run.js';
import { BootContainerRun } from '../../runtime/boot-run.js';
import { SupervisorReport, type DetachedRequest } from '../../runtime/detach.js';
import { commandLine } from '../../runtime/app-run.js';

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

/** Run one container to its end on behalf of a detached `run` or a `start`. */
export async function supervise(ctx: Context, req: DetachedRequest, report: SupervisorReport): Promise<number> {
  const image = await ctx.images.readImage(req.imageId);
  if (!image) throw new RackerError(`image ${req.imageName} is no longer in the store`, { hint: `pull it again: racker pull ${req.imageName}` });
  const existing = req.existingId ? await ctx.containers.get(req.existingId) : undefined;
  const onStarted = (rec: { id: string }) => report.started(rec.id);
  if (req.mode === 'boot') {
    return new BootContainerRun(ctx.images, ctx.containers).run({
      image, imageName: req.imageName, argv: existing ? existing.argv : (req.command.length ? commandLine(image.config.config, req.command, req.entrypoint) : []),
      interactive: false, tty: false, autoRemove: req.autoRemove, name: req.name, env: req.env, workdir: req.workdir,
      user: req.user, hostname: req.hostname, volumes: req.volumes, bootTimeout: req.bootTimeout, stopTimeout: req.stopTimeout,
      captureLog: true, onStarted, existing,
    });
  }
  return new AppContainerRun(ctx.images.layout, ctx.containers).run({
    image, imageName: req.imageName, command: existing ? existing.argv : req.command, entrypoint: existing ? '' : req.entrypoint,
    interactive: false, tty: false, autoRemove: req.autoRemove, name: req.name, env: req.env, workdir: req.workdir,
    user: req.user, hostname: req.hostname, volumes: req.volumes, stopTimeout: req.stopTimeout,
    captureLog: true, onStarted, existing,
  });
}

export function register(program: Command): void {
  program.command('__supervise', { hidden: true })
    .description('internal: supervise a detached container (reads its request on stdin)')
    .action(async () => {
      const ctx = contextFrom(program);
      const report = new SupervisorReport();
      // detached in its own session: terminal signals are not ours to act on
      process.on('SIGHUP', () => undefined);
      try {
        const req = JSON.parse(await readStdin()) as DetachedRequest;
        process.exitCode = await supervise(ctx, req, report);
      } catch (err) {
        report.failed(err);
        throw err;
      }
    });
}
