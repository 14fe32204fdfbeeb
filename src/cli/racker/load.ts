import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import { engineFrom } from '../context.js';
import { printable } from '../../untrusted.js';

export function register(program: Command): void {
  program.command('load')
    .description('load images from a docker-archive or oci-archive (gzipped or not), as docker save, podman save and skopeo write them')
    .option('-i, --input <file>', 'read the archive from this file instead of stdin')
    .option('-q, --quiet', 'no progress output')
    .action(async (flags: { input?: string; quiet?: boolean }) => {
      if (flags.input === undefined && process.stdin.isTTY) {
        throw new RackerError('requested load from stdin, but stdin is a terminal', { hint: 'give the archive with -i FILE or pipe it in: racker load < image.tar' });
      }
      const engine = engineFrom(program);
      for (const img of await engine.images.load({ file: flags.input }, { quiet: flags.quiet })) {
        if (img.names.length === 0) process.stdout.write(`Loaded image ID: ${img.id}\n`);
        for (const n of img.names) process.stdout.write(`Loaded image: ${printable(n)}\n`);
      }
    });
}
