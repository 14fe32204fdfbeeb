import { type Command, Option } from 'commander';
import { RackerError } from '../../errors.js';
import { shortId } from '../../model/image.js';
import { describeCause, logLevel } from '../../log.js';
import { engineFrom } from '../context.js';
import { jobsOption } from '../options.js';
import { printable } from '../../untrusted.js';
import { resolveLabels } from '../../postroj/catalogue.js';
import { pullCurated, type CuratedSource } from '../../postroj/curated-pull.js';

export function register(program: Command): void {
  program.command('pull')
    .description('acquire curated OS images (from the vendor registry, or built from the package mirror)')
    .argument('[label...]')
    .option('--all', 'every curated image')
    .option('--force', 'rebuild or re-fetch even if cached')
    .addOption(new Option('--source <source>', 'where to get the images').choices(['auto', 'registry', 'mirror']).default('auto'))
    .option('--mirror <url>', 'package mirror for images built from a mirror')
    .addOption(jobsOption('images to acquire at once', 2))
    .action(async (labels: string[], flags: { all?: boolean; force?: boolean; source: CuratedSource; mirror?: string; jobs: number }) => {
      const engine = engineFrom(program);
      const images = resolveLabels(labels, !!flags.all);
      const jobs = flags.jobs;
      let failed = 0;
      const queue = [...images];
      const worker = async () => {
        for (let img = queue.shift(); img; img = queue.shift()) {
          const started = Date.now();
          try {
            const r = await pullCurated(engine.images, img, { force: flags.force, source: flags.source, mirror: flags.mirror, quiet: images.length > 1 });
            process.stdout.write(`${img.label}: ready ${shortId(r.record.id)} (${((Date.now() - started) / 1000).toFixed(1)}s)\n`);
          } catch (err) {
            failed++;
            // every line of the message: a failed build's cause is on the lines after the first
            process.stdout.write(`${img.label}: failed: ${printable((err as Error).message)}\n`);
            const hint = (err as RackerError).hint;
            if (hint) process.stdout.write(`  hint: ${printable(hint)}\n`);
            if (logLevel.debug && (err as Error).cause !== undefined) process.stderr.write(printable(describeCause((err as Error).cause)) + '\n');
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(jobs, images.length) }, worker));
      if (failed) process.exitCode = 1;
    });
}
