import type { Command } from 'commander';
import { engineFrom } from '../context.js';
import { printable } from '../../untrusted.js';

export function register(program: Command): void {
  program.command('load')
    .description('load images from a docker-archive or oci-archive (gzipped or not), as docker save, podman save and skopeo write them')
    .option('-i, --input <file>', 'read the archive from this file instead of stdin')
    .option('-q, --quiet', 'no progress output')
    .action(async (flags: { input?: string; quiet?: boolean }) => {
      const engine = engineFrom(program);
      for (const img of await engine.images.load({ file: flags.input }, { quiet: flags.quiet })) {
        if (img.names.length === 0) process.stdout.write(`Loaded image ID: ${img.id}\n`);
        for (const n of img.names) process.stdout.write(`Loaded image: ${printable(n)}\n`);
      }
    });
}
