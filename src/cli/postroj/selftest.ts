import type { Command } from 'commander';
import { collect, engineFrom } from '../context.js';
import { bootTimeoutOption, formatOption, jobsOption } from '../options.js';
import { SELFTEST_PROBES, selftest, type SelftestProbeName } from '../../postroj/selftest.js';
import { formatTable } from '../table.js';
import { printableJson } from '../../untrusted.js';

export function register(program: Command): void {
  program.command('selftest')
    .description('boot each image, run a probe inside, and report')
    .argument('[probe]', `probe to run: ${SELFTEST_PROBES.join(', ')}`, 'hostnamectl')
    .option('--image <label>', 'curated image label (repeatable; default: every cached curated image)', collect, [])
    .addOption(jobsOption('containers to run at once', 2))
    .addOption(bootTimeoutOption())
    .addOption(formatOption(['table', 'json'], 'table'))
    .action(async (probeName: string, flags: { image: string[]; jobs: number; bootTimeout: number; format: 'table' | 'json' }) => {
      const results = await selftest(engineFrom(program), {
        probe: probeName as SelftestProbeName, images: flags.image, jobs: flags.jobs, bootTimeout: flags.bootTimeout,
        onResult: r => { if (flags.format === 'table' && !process.stdout.isTTY) process.stderr.write(`${r.image}: ${r.ok ? 'ok' : 'FAIL'}\n`); },
      });
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
