import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import { collect, engineFrom } from '../context.js';
import { bootTimeoutOption, formatOption, jobsOption } from '../options.js';
import { CATALOGUE } from '../../postroj/catalogue.js';
import { HOSTNAMECTL_PROBE, pkgprobeSelftest, probeImage, type ProbeResult } from '../../postroj/selftest.js';
import { resolveLabels } from './pull.js';
import { formatTable } from '../table.js';
import { printableJson } from '../../untrusted.js';

const PROBES = { hostnamectl: HOSTNAMECTL_PROBE, pkgprobe: 'pkgprobe' } as const;

export function register(program: Command): void {
  program.command('selftest')
    .description('boot each image, run a probe inside, and report')
    .argument('[probe]', `probe to run: ${Object.keys(PROBES).join(', ')}`, 'hostnamectl')
    .option('--image <label>', 'curated image label (repeatable; default: every cached curated image)', collect, [])
    .addOption(jobsOption('containers to run at once', 2))
    .addOption(bootTimeoutOption())
    .addOption(formatOption(['table', 'json'], 'table'))
    .action(async (probeName: string, flags: { image: string[]; jobs: number; bootTimeout: number; format: 'table' | 'json' }) => {
      const engine = engineFrom(program);
      const probe = PROBES[probeName as keyof typeof PROBES];
      if (!probe) throw new RackerError(`unknown probe '${probeName}'`, { hint: `use one of: ${Object.keys(PROBES).join(', ')}` });
      const tags = await engine.images.store.readTags();
      const images = flags.image.length ? resolveLabels(flags.image, false) : CATALOGUE.filter(c => tags[c.storeName]);
      if (images.length === 0) throw new RackerError('no curated image is in the store', { hint: 'postroj pull debian-bookworm, or name images with --image' });
      const queue = [...images];
      const results: ProbeResult[] = [];
      const worker = async () => {
        for (let img = queue.shift(); img; img = queue.shift()) {
          const id = tags[img.storeName];
          const rec = id ? await engine.images.store.readImage(id) : undefined;
          const bootTimeout = flags.bootTimeout;
          const r = rec
            ? (probe === 'pkgprobe' ? await pkgprobeSelftest(engine, img.label, rec, bootTimeout) : await probeImage(engine, img.label, rec, probe, bootTimeout))
            : { image: img.label, probe: probeName, ok: false, durationMs: 0, detail: `not in the store (postroj pull ${img.label})` };
          results.push(r);
          if (flags.format === 'table' && !process.stdout.isTTY) process.stderr.write(`${r.image}: ${r.ok ? 'ok' : 'FAIL'}\n`);
        }
      };
      await Promise.all(Array.from({ length: Math.min(flags.jobs, images.length) }, worker));
      results.sort((a, b) => images.findIndex(i => i.label === a.image) - images.findIndex(i => i.label === b.image));
      if (flags.format === 'json') process.stdout.write(printableJson(results, 2) + '\n');
      else {
        process.stdout.write(formatTable(['IMAGE', 'PROBE', 'RESULT', 'DURATION', 'DETAIL'],
          results.map(r => [r.image, r.probe, r.ok ? 'ok' : 'FAIL', `${(r.durationMs / 1000).toFixed(1)}s`, r.detail])));
        const failed = results.filter(r => !r.ok).length;
        process.stdout.write(`${results.length - failed} passed, ${failed} failed\n`);
      }
      if (results.some(r => !r.ok)) process.exitCode = 1;
    });
}
