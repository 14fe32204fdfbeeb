import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Engine } from '../engine/engine.js';
import { CATALOGUE, resolveLabels } from './catalogue.js';
import type { ImageRecord } from '../model/image.js';
import { RackerError } from '../errors.js';
import { probeImage as runPackageProbe } from './pkgprobe/probe.js';
import { probeContainerName } from './pkgprobe/prepare.js';
import { SignalCleanup, type Removable } from './pkgprobe/cleanup.js';

export interface ProbeResult {
  image: string;
  probe: string;
  ok: boolean;
  durationMs: number;
  detail: string;
}

/** A check run inside a freshly booted container. */
export interface SelftestProbe {
  readonly name: string;
  readonly argv: string[];
  /** judge the command's exit code and output */
  judge(exitCode: number, output: string): { ok: boolean; detail: string };
}

export const HOSTNAMECTL_PROBE: SelftestProbe = {
  name: 'hostnamectl',
  argv: ['hostnamectl'],
  judge(code, output) {
    const virt = /Virtualization:\s*(\S+)/.exec(output)?.[1];
    if (code !== 0) return { ok: false, detail: `hostnamectl exited ${code}: ${output.trim().split('\n').pop() ?? ''}` };
    return virt === 'systemd-nspawn' ? { ok: true, detail: `Virtualization: ${virt}` } : { ok: false, detail: `Virtualization: ${virt ?? 'not shown'}` };
  },
};

/** Boot `image`, run the probe inside, power off; never throws. */
export async function probeImage(engine: Engine, label: string, image: ImageRecord, probe: SelftestProbe, bootTimeout: number): Promise<ProbeResult> {
  const started = Date.now();
  const dir = await mkdtemp(path.join(tmpdir(), 'postroj-selftest-'));
  const outFile = path.join(dir, 'out');
  try {
    const out = await open(outFile, 'w');
    let code: number;
    try {
      ({ exitCode: code = 1 } = await engine.containers.run({
        image: image.id, imageName: label, command: probe.argv, entrypoint: '', boot: true, autoRemove: true, bootTimeout,
      }, { output: { fd: out.fd } }, { pull: 'never' }));
    } finally {
      await out.close();
    }
    const verdict = probe.judge(code, await readFile(outFile, 'utf8'));
    return { image: label, probe: probe.name, ...verdict, durationMs: Date.now() - started };
  } catch (err) {
    return { image: label, probe: probe.name, ok: false, detail: (err as Error).message.split('\n')[0], durationMs: Date.now() - started };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The pkgprobe self test: install the distribution's cron daemon from its own
 * repositories and check that its unit comes up. It exercises the package
 * tool, the repositories (reached through the probe network's NAT) and unit
 * handling, and opens no port.
 */
const CRON: Record<string, { pkg: string; unit: string }> = {
  'apt-get': { pkg: 'cron', unit: 'cron.service' },
  dnf: { pkg: 'cronie', unit: 'crond.service' },
  dnf5: { pkg: 'cronie', unit: 'crond.service' },
  yum: { pkg: 'cronie', unit: 'crond.service' },
  microdnf: { pkg: 'cronie', unit: 'crond.service' },
  zypper: { pkg: 'cronie', unit: 'cron.service' },
  pacman: { pkg: 'cronie', unit: 'cronie.service' },
};

export async function pkgprobeSelftest(engine: Engine, label: string, image: ImageRecord, bootTimeout: number): Promise<ProbeResult> {
  const started = Date.now();
  const cleanup = new SignalCleanup();
  let box: Removable | undefined;
  const report = await runPackageProbe(engine, { label, image, containerName: probeContainerName(label) }, {
    packages: [], units: [], network: [], unitTimeoutMs: 60_000, installTimeoutMs: 15 * 60_000, bootTimeout, keep: false,
    forDistribution: installer => {
      const cron = CRON[installer.tool];
      if (!cron) throw new RackerError(`no pkgprobe self test for ${installer.tool}`);
      return { packages: [{ kind: 'name', spec: cron.pkg, name: cron.pkg }], units: [cron.unit] };
    },
  }, { started: c => { box = c; cleanup.add(c); }, progress: () => undefined }).finally(() => {
    if (box) cleanup.delete(box);
    cleanup.dispose();
  });
  const failed = report.checks.find(c => c.status === 'failed');
  const detail = failed ? `${failed.name}: ${failed.detail}` : report.checks.slice(1).map(c => c.name).join(', ');
  return { image: label, probe: 'pkgprobe', ok: report.status === 'passed' && report.checks.length > 1, durationMs: Date.now() - started, detail };
}

export const SELFTEST_PROBES = ['hostnamectl', 'pkgprobe'] as const;
export type SelftestProbeName = typeof SELFTEST_PROBES[number];

export interface SelftestOptions {
  probe?: SelftestProbeName;
  /** curated labels (default: every curated image in the store) */
  images?: string[];
  /** containers at once */
  jobs?: number;
  bootTimeout?: number;
  /** each image's result as it ends */
  onResult?: (r: ProbeResult) => void;
}

/** Boot each curated image, run the probe inside, and report, in catalogue order. */
export async function selftest(engine: Engine, opts: SelftestOptions = {}): Promise<ProbeResult[]> {
  const probeName = opts.probe ?? 'hostnamectl';
  if (!SELFTEST_PROBES.includes(probeName)) throw new RackerError(`unknown probe '${String(probeName)}'`, { hint: `use one of: ${SELFTEST_PROBES.join(', ')}` });
  const tags = await engine.images.tags();
  const images = opts.images?.length ? resolveLabels(opts.images, false) : CATALOGUE.filter(c => tags[c.storeName]);
  if (images.length === 0) throw new RackerError('no curated image is in the store', { hint: 'postroj pull debian-bookworm, or name images with --image' });
  const bootTimeout = opts.bootTimeout ?? 60;
  const queue = [...images];
  const results: ProbeResult[] = [];
  const worker = async () => {
    for (let img = queue.shift(); img; img = queue.shift()) {
      const id = tags[img.storeName];
      const rec = id ? await engine.images.byId(id) : undefined;
      const r = !rec
        ? { image: img.label, probe: probeName, ok: false, durationMs: 0, detail: `not in the store (postroj pull ${img.label})` }
        : probeName === 'pkgprobe' ? await pkgprobeSelftest(engine, img.label, rec, bootTimeout) : await probeImage(engine, img.label, rec, HOSTNAMECTL_PROBE, bootTimeout);
      results.push(r);
      opts.onResult?.(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, opts.jobs ?? 2), images.length) }, worker));
  return results.sort((a, b) => images.findIndex(i => i.label === a.image) - images.findIndex(i => i.label === b.image));
}
