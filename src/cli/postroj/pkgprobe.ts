import type { Command } from 'commander';
import { Option } from 'commander';
import { writeFile } from 'node:fs/promises';
import chalk from 'chalk';
import { collect, engineFrom } from '../context.js';
import { bootTimeoutOption, formatOption, jobsOption, seconds, tlsVerifyOption } from '../options.js';
import { formatTable } from '../table.js';
import { pkgprobe } from '../../postroj/pkgprobe/run-probe.js';
import { toJson, toJunit, type ProbeReport } from '../../postroj/pkgprobe/report.js';
import { printable } from '../../untrusted.js';

interface Flags {
  image: string[]; package: string[]; checkUnit: string[]; checkNetwork: string[];
  expectStatus: string[]; expectBody?: string; followRedirects?: boolean; tlsVerify: boolean;
  networkTimeout: number; unitTimeout: number; installTimeout: number; bootTimeout: number;
  keep?: boolean; format: 'text' | 'json' | 'junit'; output?: string; jobs: number; refresh?: boolean;
}

const positiveSeconds = seconds({ allowZero: false });

function textReport(report: ProbeReport): string {
  const rows = report.images.flatMap(i => i.checks.map(c => [i.image, c.name, c.status === 'passed' ? 'ok' : c.status === 'failed' ? 'FAIL' : 'skip', `${(c.durationMs / 1000).toFixed(1)}s`, c.detail]));
  const s = report.summary;
  return formatTable(['IMAGE', 'CHECK', 'RESULT', 'DURATION', 'DETAIL'], rows) + `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped\n`;
}

export function register(program: Command): void {
  program.command('pkgprobe')
    .description('install packages in booted OS containers and check their units and ports')
    .option('--image <label|ref>', 'curated image label or image reference (repeatable)', collect, [])
    .option('--package <url|path|name>', 'package to install: http(s) URL, local .deb/.rpm file, or a name from the repositories (repeatable)', collect, [])
    .option('--check-unit <unit>', 'systemd unit to enable and start, then expect active (repeatable)', collect, [])
    .option('--check-network <url>', 'tcp://HOST:PORT or http(s)://HOST:PORT/PATH to reach from inside (repeatable)', collect, [])
    .option('--expect-status <code>', 'HTTP status that passes (repeatable; default any 2xx)', collect, [])
    .option('--expect-body <text>', 'text the HTTP answer must contain')
    .option('--follow-redirects', 'follow HTTP redirects before judging the answer')
    .addOption(tlsVerifyOption('verify certificates of https checks and registries').default(true))
    .addOption(new Option('--network-timeout <seconds>', 'how long to wait for each port to answer').argParser(positiveSeconds).default(30))
    .addOption(new Option('--unit-timeout <seconds>', 'how long each unit may take to become active').argParser(positiveSeconds).default(30))
    .addOption(new Option('--install-timeout <seconds>', 'how long installing may take').argParser(positiveSeconds).default(900))
    .addOption(bootTimeoutOption())
    .option('--keep', 'leave the containers running (to debug a probe) and say how to enter and remove them')
    .addOption(formatOption(['text', 'json', 'junit'], 'text'))
    .option('--output <file>', 'write the report there (text summary still printed)')
    .addOption(jobsOption('images to probe at once', 1))
    .option('--refresh', 'download package URLs again even if cached')
    .addHelpText('after', `
Examples:
  postroj pkgprobe --image debian-bookworm --package ./hello_1.0_all.deb --check-unit hello --check-network http://localhost:8080/
  postroj pkgprobe --image debian-bookworm --image ubuntu-noble --package nginx --check-unit nginx --check-network tcp://localhost:80 --format junit --output probe.xml`)
    .action(async (flags: Flags) => {
      const engine = engineFrom(program);
      const report = await pkgprobe(engine, {
        images: flags.image, packages: flags.package, units: flags.checkUnit, network: flags.checkNetwork,
        expectStatus: flags.expectStatus, expectBody: flags.expectBody, followRedirects: flags.followRedirects, tlsVerify: flags.tlsVerify,
        networkTimeout: flags.networkTimeout, unitTimeout: flags.unitTimeout, installTimeout: flags.installTimeout, bootTimeout: flags.bootTimeout,
        keep: flags.keep, jobs: flags.jobs, refresh: flags.refresh,
        onCheck: (label, c) => {
          const mark = c.status === 'passed' ? chalk.green('ok') : c.status === 'failed' ? chalk.red('FAIL') : chalk.dim('skip');
          process.stderr.write(`${label}: ${c.name}: ${mark} ${chalk.dim(printable(c.detail))}\n`);
          if (c.status === 'failed' && c.output) process.stderr.write(printable(c.output).replace(/^/gm, '    ') + '\n');
        },
      });

      const rendered = flags.format === 'json' ? toJson(report) : flags.format === 'junit' ? toJunit(report) : textReport(report);
      if (flags.output) {
        await writeFile(flags.output, rendered);
        if (flags.format !== 'text') process.stdout.write(textReport(report));
      } else {
        process.stdout.write(rendered);
      }
      const root = engine.settings.root === '/var/lib/racker' ? '' : ` --root ${engine.settings.root}`;
      for (const r of report.images.filter(x => x.kept && x.container)) {
        const net = r.network ? `  then its network with  racker${root} network rm ${r.network}` : '';
        process.stderr.write(`kept container ${r.container} (${r.image}): enter it with  racker${root} exec -it ${r.container} bash  and remove it with  racker${root} rm -f ${r.container}${net}\n`);
      }
      if (report.status !== 'passed') process.exitCode = 1;
    });
}
