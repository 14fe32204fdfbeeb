import { RackerError } from '../../errors.js';
import type { Engine } from '../../engine/engine.js';
import { SignalCleanup, type Removable } from './cleanup.js';
import { parseExpectStatus, parseNetworkCheck } from './network-check.js';
import { parsePackageSpec } from './package-source.js';
import { preparePackages, probeContainerName, resolveProbeImage } from './prepare.js';
import { probeImage, type ProbePlan, type ProbeTarget } from './probe.js';
import { summarize, type CheckResult, type ImageReport, type ProbeReport } from './report.js';
import { isValidUnitName } from './unit-check.js';

/** A package probe, as `postroj pkgprobe` and the API take it. */
export interface PkgprobeOptions {
  /** curated labels or image references */
  images: string[];
  /** http(s) URLs, local .deb/.rpm files, or names from the repositories */
  packages?: string[];
  /** units to enable and start, then expect active */
  units?: string[];
  /** tcp://HOST:PORT or http(s)://HOST:PORT/PATH, reached from inside */
  network?: string[];
  expectStatus?: string[];
  expectBody?: string;
  followRedirects?: boolean;
  tlsVerify?: boolean;
  /** seconds */
  networkTimeout?: number;
  unitTimeout?: number;
  installTimeout?: number;
  bootTimeout?: number;
  /** leave the containers running */
  keep?: boolean;
  /** images probed at once */
  jobs?: number;
  /** download package URLs again */
  refresh?: boolean;
  /** each check as it ends */
  onCheck?: (image: string, check: CheckResult) => void;
}

/**
 * Install packages in booted OS containers and check their units and ports;
 * every option is checked before anything is pulled, downloaded or booted.
 * The report is data; rendering it (text, JSON, JUnit) is the caller's.
 */
export async function pkgprobe(engine: Engine, opts: PkgprobeOptions): Promise<ProbeReport> {
  if (opts.images.length === 0) throw new RackerError('no --image given', { hint: 'postroj list-images shows the labels, e.g. --image debian-bookworm' });
  const tlsVerify = opts.tlsVerify ?? true;
  const sources = (opts.packages ?? []).map(parsePackageSpec);
  const units = opts.units ?? [];
  for (const u of units) if (!isValidUnitName(u)) throw new RackerError(`invalid unit name '${u.slice(0, 80)}'`, { hint: 'e.g. nginx or nginx.service' });
  const expectStatus = opts.expectStatus ?? [];
  const netOpts = {
    expectStatus: parseExpectStatus(expectStatus), expectBody: opts.expectBody, followRedirects: !!opts.followRedirects,
    tlsVerify, timeoutMs: (opts.networkTimeout ?? 30) * 1000,
  };
  const network = (opts.network ?? []).map(n => parseNetworkCheck(n, netOpts));
  if ((expectStatus.length || opts.expectBody !== undefined) && !network.some(n => n.kind === 'http')) {
    throw new RackerError('--expect-status and --expect-body need an http(s) --check-network', { hint: 'e.g. --check-network http://localhost:8080/' });
  }
  if (!sources.length && !units.length && !network.length) {
    throw new RackerError('nothing to probe', { hint: 'give --package, --check-unit or --check-network' });
  }
  const labels = [...new Set(opts.images)];
  // each probe has a network of its own, so network checks run side by side too
  const jobs = opts.jobs ?? 1;
  const images: ProbeTarget[] = [];
  for (const label of labels) images.push({ label, image: await resolveProbeImage(engine, label, { tlsVerify }), containerName: probeContainerName(label) });
  const plan: ProbePlan = {
    packages: await preparePackages(engine, sources, { refresh: opts.refresh }),
    units, network,
    unitTimeoutMs: (opts.unitTimeout ?? 30) * 1000,
    installTimeoutMs: (opts.installTimeout ?? 900) * 1000,
    bootTimeout: opts.bootTimeout ?? 60, keep: !!opts.keep,
  };

  // containers still up when we are interrupted are removed (unless keep)
  const cleanup = new SignalCleanup(plan.keep);
  const startedAt = new Date();
  const reports: ImageReport[] = [];
  const queue = [...images];
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      let box: Removable | undefined;
      const r = await probeImage(engine, t, plan, {
        started: c => { box = c; cleanup.add(c); },
        progress: (label, c) => opts.onCheck?.(label, c),
      });
      if (box) cleanup.delete(box);
      reports.push(r);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, images.length) }, worker));
  } finally {
    cleanup.dispose();
  }
  reports.sort((a, b) => labels.indexOf(a.image) - labels.indexOf(b.image));
  return summarize(reports, startedAt);
}
