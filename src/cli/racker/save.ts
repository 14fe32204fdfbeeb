import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Option, type Command } from 'commander';
import { RackerError } from '../../errors.js';
import { engineFrom } from '../context.js';
import type { ArchiveFormat } from '../../engine/image-save.js';

export function register(program: Command): void {
  program.command('save')
    .description('write images to a tar archive (to stdout unless -o), which docker load, podman load and skopeo read')
    .argument('<image...>')
    .option('-o, --output <file>', 'write to this file (replaced whole, only once complete)')
    .addOption(new Option('--format <format>', 'archive format').choices(['docker-archive', 'oci-archive']).default('docker-archive'))
    .action(async (inputs: string[], flags: { output?: string; format: ArchiveFormat }) => {
      if (flags.output === undefined && process.stdout.isTTY) {
        throw new RackerError('cowardly refusing to save to a terminal', { hint: 'use the -o flag or redirect' });
      }
      const chunks = await engineFrom(program).images.save(inputs, flags.format);
      if (flags.output === undefined) {
        await pipeline(Readable.from(chunks), process.stdout);
        return;
      }
      const file = path.resolve(flags.output);
      const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
      try {
        await pipeline(Readable.from(chunks), createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
        await rename(tmp, file);
      } catch (err) {
        await rm(tmp, { force: true });
        if (err instanceof RackerError) throw err;
        throw new RackerError(`cannot write ${flags.output}: ${(err as Error).message}`, { cause: err });
      }
    });
}
