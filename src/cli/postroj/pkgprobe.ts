import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import chalk from 'chalk';
import { RackerError } from '../../errors.js';
import { collect, engineFrom } from '../context.js';
import { Option } from 'commander';
import { bootTimeoutOption, formatOption, jobsOption, seconds, tlsVerifyOption } from '../options.js';
import { formatTable } from '../table.js';
import { parseExpectStatus, parseNetworkCheck } from '../../postroj/pkgprobe/network-check.js';
import { connectOnce } from '../../postroj/pkgprobe/net-probe.js';
import { parsePackageSpec } from '../../postroj/pkgprobe/package-source.js';
import { preparePackages, probeContainerName, resolveProbeImage } from '../../postroj/pkgprobe/prepare.js';
import { probeImage, type ProbePlan, type ProbeTarget } from '../../postroj/pkgprobe/probe.js';
import type { ProbeContainer } from '../../postroj/pkgprobe/probe-container.js';
import { SignalCleanup } from '../../postroj/pkgprobe/cleanup.js';
import { summarize, toJson, toJunit, type ImageReport, type ProbeReport } from '../../postroj/pkgprobe/report.js';
import { isValidUnitName } from '../../postroj/pkgprobe/unit-check.js';

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
      // every flag is checked before anything is pulled, downloaded or booted
      if (flags.image.length === 0) throw new RackerError('no --image given', { hint: 'postroj list-images shows the labels, e.g. --image debian-bookworm' });
      const tlsVerify = flags.tlsVerify;
      const sources = flags.package.map(parsePackageSpec);
      for (const u of flags.checkUnit) if (!isValidUnitName(u)) throw new RackerError(`invalid unit name '${u.slice(0, 80)}'`, { hint: 'e.g. nginx or nginx.service' });
      const netOpts = {
        expectStatus: parseExpectStatus(flags.expectStatus), expectBody: flags.expectBody, followRedirects: !!flags.followRedirects,
        tlsVerify, timeoutMs: flags.networkTimeout * 1000,
      };
      const network = flags.checkNetwork.map(n => parseNetworkCheck(n, netOpts));
      if ((flags.expectStatus.length || flags.expectBody !== undefined) && !network.some(n => n.kind === 'http')) {
        throw new RackerError('--expect-status and --expect-body need an http(s) --check-network', { hint: 'e.g. --check-network http://localhost:8080/' });
      }
      if (!sources.length && !flags.checkUnit.length && !network.length) {
        throw new RackerError('nothing to probe', { hint: 'give --package, --check-unit or --check-network' });
      }
      const requestedJobs = flags.jobs;
      // containers share the host's network: a port that answers before any container runs
      // would make its check pass whatever the package does, and two probes would collide on it
      const own = new Set(['localhost', '0.0.0.0', '::', ...Object.values(networkInterfaces()).flat().map(i => i?.address)]);
      for (const n of network) {
        if (!own.has(n.host) && !n.host.startsWith('127.')) continue;
        if (!(await connectOnce(n.host, n.port, 500))) {
          throw new RackerError(`${n.host}:${n.port} already answers on this host, before any container runs`,
            { hint: 'containers share the host network, so the check could not tell the package\'s service from it; stop what listens there or probe another port' });
        }
      }
      const labels = [...new Set(flags.image)];
      let jobs = requestedJobs;
      if (network.length && jobs > 1 && labels.length > 1) {
        process.stderr.write('postroj: probes with network checks run one image at a time (containers share the host network)\n');
        jobs = 1;
      }
      const images: ProbeTarget[] = [];
      for (const label of labels) images.push({ label, image: await resolveProbeImage(engine, label, { tlsVerify }), containerName: probeContainerName(label) });
      const plan: ProbePlan = {
        packages: await preparePackages(engine, sources, { refresh: flags.refresh }),
        units: flags.checkUnit, network,
        unitTimeoutMs: flags.unitTimeout * 1000,
        installTimeoutMs: flags.installTimeout * 1000,
        bootTimeout: flags.bootTimeout, keep: !!flags.keep,
      };

      // containers still up when we are interrupted are removed (unless --keep)
      const cleanup = new SignalCleanup(plan.keep);

      const startedAt = new Date();
      const reports: ImageReport[] = [];
      const queue = [...images];
      const worker = async () => {
        for (let t = queue.shift(); t; t = queue.shift()) {
          let box: ProbeContainer | undefined;
          const r = await probeImage(engine, t, plan, {
            started: c => { box = c; cleanup.add(c); },
            progress: (label, c) => {
              const mark = c.status === 'passed' ? chalk.green('ok') : c.status === 'failed' ? chalk.red('FAIL') : chalk.dim('skip');
              process.stderr.write(`${label}: ${c.name}: ${mark} ${chalk.dim(c.detail)}\n`);
              if (c.status === 'failed' && c.output) process.stderr.write(c.output.replace(/^/gm, '    ') + '\n');
            },
          });
          if (box) cleanup.delete(box);
          reports.push(r);
        }
      };
      await Promise.all(Array.from({ length: Math.min(jobs, images.length) }, worker));
      cleanup.dispose();
      reports.sort((a, b) => labels.indexOf(a.image) - labels.indexOf(b.image));
      const report = summarize(reports, startedAt);

      const rendered = flags.format === 'json' ? toJson(report) : flags.format === 'junit' ? toJunit(report) : textReport(report);
      if (flags.output) {
        await writeFile(flags.output, rendered);
        if (flags.format !== 'text') process.stdout.write(textReport(report));
      } else {
        process.stdout.write(rendered);
      }
      const root = engine.settings.root === '/var/lib/racker' ? '' : ` --root ${engine.settings.root}`;
      for (const r of reports.filter(x => x.kept && x.container)) {
        process.stderr.write(`kept container ${r.container} (${r.image}): enter it with  racker${root} exec -it ${r.container} bash  and remove it with  racker${root} rm -f ${r.container}\n`);
      }
      if (report.status !== 'passed') process.exitCode = 1;
    });
}
