import type { Command } from 'commander';
import { engineFrom } from '../context.js';
import { eachName } from '../each.js';

export function register(program: Command): void {
  program.command('rmi')
    .description('remove images from the local store')
    .argument('<image...>')
    .option('-f, --force', 'remove even if containers use it or several names point at it')
    .action(async (images: string[], flags: { force?: boolean }) => {
      const engine = engineFrom(program);
      await eachName(images, async img => {
        for (const line of await engine.images.remove(img, !!flags.force)) process.stdout.write(line + '\n');
      });
    });
}
