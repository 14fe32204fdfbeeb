import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import { collect, contextFrom } from '../context.js';
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
    .option('--jobs <n>', 'containers to run at once', '2')
    .option('--boot-timeout <seconds>', 'how long systemd may take to start up', '60')
    .option('--format <format>', 'table or json', 'table')
    .action(async (probeName: string, flags: { image: string[]; jobs: string; bootTimeout: string; format: string }) => {
      const ctx = contextFrom(program);
      const probe = PROBES[probeName as keyof typeof PROBES];
      if (!probe) throw new RackerError(`unknown probe '${probeName}'`, { hint: `use one of: ${Object.keys(PROBES).join(', ')}` });
      if (!['table', 'json'].includes(flags.format)) throw new RackerError(`unknown --format '${flags.format}'`, { hint: 'use table or json' });
      const tags = await ctx.images.readTags();
      const images = flags.image.length ? resolveLabels(flags.image, false) : CATALOGUE.filter(c => tags[c.storeName]);
      if (images.length === 0) throw new RackerError('no curated image is in the store', { hint: 'postroj pull debian-bookworm, or name images with --image' });
      const queue = [...images];
      const results: ProbeResult[] = [];
      const worker = async () => {
        for (let img = queue.shift(); img; img = queue.shift()) {
          const id = tags[img.storeName];
          const rec = id ? await ctx.images.readImage(id) : undefined;
          const bootTimeout = Number(flags.bootTimeout) || 60;
          const r = rec
            ? (probe === 'pkgprobe' ? await pkgprobeSelftest(ctx, img.label, rec, bootTimeout) : await probeImage(ctx, img.label, rec, probe, bootTimeout))
            : { image: img.label, probe: probeName, ok: false, durationMs: 0, detail: `not in the store (postroj pull ${img.label})` };
          results.push(r);
          if (flags.format === 'table' && !process.stdout.isTTY) process.stderr.write(`${r.image}: ${r.ok ? 'ok' : 'FAIL'}\n`);
        }
      };
      await Promise.all(Array.from({ length: Math.min(Math.max(1, Number(flags.jobs) || 1), images.length) }, worker));
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
