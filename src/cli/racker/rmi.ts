import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import { contextFrom, type Context } from '../context.js';
import { printable } from '../../untrusted.js';
import { shortId } from '../../image/digest.js';
import { findImage, storedNameCandidates } from './pull.js';

/**
 * docker's rules: removing by name untags that name and deletes the image
 * only when no name is left; removing by id needs --force when several names
 * point at it; an image used by a container needs --force.
 */
export async function removeImage(ctx: Context, input: string, force: boolean, out: (line: string) => void): Promise<void> {
  const record = await findImage(ctx, input, { check: false });
  if (!record) throw new RackerError(`No such image: ${input}`, { hint: 'racker images lists what is in the store' });
  const tags = await ctx.images.readTags();
  const names = ctx.images.namesOf(tags, record.id);
  const byName = storedNameCandidates(input).find(n => names.includes(n));

  const users = (await ctx.containers.list()).filter(c => c.image === record.id);
  if (users.length && !force) {
    throw new RackerError(`unable to remove image ${input}: container ${users[0].id.slice(0, 12)} (${users[0].name}) is using it`, { hint: `remove the container first (racker rm ${users[0].name}) or use --force` });
  }
  if (byName && names.length > 1) {
    await ctx.images.untag([byName]);
    out(`Untagged: ${byName}`);
    return;
  }
  if (!byName && names.length > 1 && !force) {
    throw new RackerError(`unable to delete ${shortId(record.id)} (must be forced): image is referenced in multiple repositories`, { hint: 'remove it by name, or use --force' });
  }
  await ctx.images.untag(names);
  for (const n of names) out(`Untagged: ${n}`);
  // layers a container still stacks on stay until that container is gone
  const keep = new Set(users.flatMap(u => u.layers));
  const removed = await ctx.images.removeImage(record.id, keep);
  out(`Deleted: ${record.id}`);
  for (const l of removed) out(`Deleted: ${l}`);
}

export function register(program: Command): void {
  program.command('rmi')
    .description('remove images from the local store')
    .argument('<image...>')
    .option('-f, --force', 'remove even if containers use it or several names point at it')
    .action(async (images: string[], flags: { force?: boolean }) => {
      const ctx = contextFrom(program);
      let failed: unknown;
      for (const img of images) {
        try {
          await removeImage(ctx, img, !!flags.force, line => process.stdout.write(line + '\n'));
        } catch (err) {
          if (images.length === 1) throw err;
          failed = err;
          process.stderr.write(`racker: ${printable((err as Error).message)}\n`);
        }
      }
      if (failed) process.exitCode = 1;
    });
}
