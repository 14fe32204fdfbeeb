import type { Command } from 'commander';
import path from 'node:path';
import { RackerError } from '../../errors.js';
import { contextFrom, type Context } from '../context.js';
import { reconcile } from '../../store/container-state.js';
import { containerLeader } from '../../runtime/host.js';
import type { ContainerRecord } from '../../store/container-store.js';
import type { ImageRecord } from '../../store/image-store.js';
import { findImage } from './pull.js';
import { renderTemplate } from '../go-template.js';
import { printableJson } from '../../untrusted.js';

export async function containerJson(ctx: Context, rec: ContainerRecord): Promise<Record<string, unknown>> {
  const dir = ctx.containers.dir(rec.id);
  const running = rec.state.status === 'running';
  const leader = running && rec.state.nspawnPid ? await containerLeader(rec.state.nspawnPid) : undefined;
  return {
    Id: rec.id,
    Name: rec.name,
    Created: rec.created,
    Path: rec.argv[0] ?? '',
    Args: rec.argv.slice(1),
    Image: rec.image,
    ImageName: rec.imageName,
    State: {
      Status: rec.state.status,
      Running: running,
      ExitCode: rec.state.exitCode ?? 0,
      Pid: leader ?? 0,
      NspawnPid: running ? rec.state.nspawnPid ?? 0 : 0,
      StartedAt: rec.state.startedAt ?? '',
      FinishedAt: rec.state.finishedAt ?? '',
    },
    Config: {
      Hostname: rec.spec?.hostname ?? rec.id.slice(0, 12),
      Env: (rec.spec?.env ?? []).map(([k, v]) => `${k}=${v}`),
      Cmd: rec.argv,
      WorkingDir: rec.spec?.workdir ?? '',
      User: rec.spec?.user ?? '',
      Tty: rec.spec?.tty ?? false,
      OpenStdin: rec.spec?.interactive ?? false,
      Boot: rec.spec?.mode === 'boot',
    },
    HostConfig: { AutoRemove: rec.autoRemove },
    Mounts: (rec.spec?.volumes ?? []).map(v => ({ Type: 'bind', Source: v.source, Destination: v.target, RW: !v.readOnly })),
    GraphDriver: {
      Name: 'overlay',
      Data: {
        LowerDir: [...rec.layers].reverse().map(l => ctx.images.layout.layerFs(l)).join(':'),
        UpperDir: path.join(dir, 'upper'),
        WorkDir: path.join(dir, 'work'),
        MergedDir: path.join(dir, 'rootfs'),
      },
    },
  };
}

export function imageJson(ctx: Context, rec: ImageRecord, names: string[]): Record<string, unknown> {
  return {
    Id: rec.id,
    RepoTags: names,
    RepoDigests: rec.repoDigests,
    Created: rec.config.created ?? '',
    Architecture: rec.config.architecture ?? '',
    Os: rec.config.os ?? '',
    Size: rec.size,
    Config: rec.config.config ?? {},
    RootFS: { Type: 'layers', Layers: rec.diffIds },
    GraphDriver: { Name: 'overlay', Data: { LowerDir: [...rec.layers].reverse().map(l => ctx.images.layout.layerFs(l)).join(':') } },
    Source: rec.source,
  };
}

export function register(program: Command): void {
  program.command('inspect')
    .description('show low-level information on containers or images, as JSON')
    .argument('<name...>', 'container name or id, or image name or id')
    .option('-f, --format <template>', 'Go-template subset, e.g. {{.State.Status}} or {{json .Config}}')
    .option('--type <type>', 'container or image')
    .action(async (names: string[], flags: { format?: string; type?: string }) => {
      const ctx = contextFrom(program);
      const out: Record<string, unknown>[] = [];
      for (const n of names) {
        const c = flags.type === 'image' ? undefined : await ctx.containers.find(n);
        if (c) { out.push(await containerJson(ctx, await reconcile(ctx.containers, c))); continue; }
        const img = flags.type === 'container' ? undefined : await findImage(ctx, n, { check: false });
        if (img) { out.push(imageJson(ctx, img, ctx.images.namesOf(await ctx.images.readTags(), img.id))); continue; }
        throw new RackerError(`No such object: ${n}`, { hint: 'racker ps -a and racker images list what exists' });
      }
      if (flags.format) process.stdout.write(out.map(o => renderTemplate(flags.format!, o)).join('\n') + '\n');
      else process.stdout.write(printableJson(out, 2) + '\n');
    });
}
