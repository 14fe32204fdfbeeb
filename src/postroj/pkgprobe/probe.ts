import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine } from '../../engine/engine.js';
import { nodeScript, runAllowFail } from '../../process.js';
import type { ImageRecord } from '../../model/image.js';
import { checkFormat, installerFor, type PackageInstaller } from './installers.js';
import { oneLine, type NetworkCheck, type NetworkVerdict } from './network-check.js';
import type { PackageFormat } from './package-source.js';
import { ProbeContainer } from './probe-container.js';
import type { Removable } from './cleanup.js';
import type { CheckResult, ImageReport } from './report.js';
import { checkUnit, unitName } from './unit-check.js';

/** A package ready to go into a container: a file on the host, or a name for the repositories. */
export type PreparedPackage =
  | { kind: 'file'; spec: string; hostPath: string; format: PackageFormat }
  | { kind: 'name'; spec: string; name: string };

export interface ProbePlan {
  packages: PreparedPackage[];
  units: string[];
  network: NetworkCheck[];
  unitTimeoutMs: number;
  installTimeoutMs: number;
  bootTimeout: number;
  keep: boolean;
  /** packages and units chosen once the distribution is known (postroj selftest pkgprobe) */
  forDistribution?: (installer: PackageInstaller) => Pick<ProbePlan, 'packages' | 'units'>;
}

export interface ProbeTarget { label: string; image: ImageRecord; containerName: string }

/** Where the packages are put inside the container. */
const PACKAGE_DIR = '/var/cache/postroj/packages';
const NET_PROBE = fileURLToPath(new URL('./net-probe-main.js', import.meta.url));

/** Lets the caller remove containers that are still up when it is interrupted. */
export interface ProbeHooks {
  /** before the container boots: what removes it and its network */
  started(c: Removable): void;
  /** a check finished */
  progress(label: string, check: CheckResult): void;
}

class Checks {
  readonly list: CheckResult[] = [];
  constructor(private readonly label: string, private readonly hooks: ProbeHooks) {}

  async run(name: string, kind: CheckResult['kind'], body: () => Promise<{ ok: boolean; detail: string; output?: string }>): Promise<boolean> {
    const started = Date.now();
    let r: { ok: boolean; detail: string; output?: string };
    try {
      r = await body();
    } catch (err) {
      const e = err as Error;
      const [first, ...rest] = e.message.split('\n');
      r = { ok: false, detail: first, output: rest.length ? rest.join('\n') : undefined };
    }
    const check: CheckResult = { name, kind, status: r.ok ? 'passed' : 'failed', durationMs: Date.now() - started, detail: oneLine(r.detail, 160), output: r.output };
    this.list.push(check);
    this.hooks.progress(this.label, check);
    return r.ok;
  }

  skip(name: string, kind: CheckResult['kind'], why: string): void {
    const check: CheckResult = { name, kind, status: 'skipped', durationMs: 0, detail: why };
    this.list.push(check);
    this.hooks.progress(this.label, check);
  }
}

function installName(plan: ProbePlan): string {
  return `install ${plan.packages.map(p => p.kind === 'file' ? path.basename(p.hostPath) : p.name).join(' ')}`;
}

/** Boot the image, install the packages, check units and ports; never throws. */
export async function probeImage(engine: Engine, target: ProbeTarget, given: ProbePlan, hooks: ProbeHooks): Promise<ImageReport> {
  const started = Date.now();
  const checks = new Checks(target.label, hooks);
  let container: ProbeContainer | undefined;
  let os: string | undefined;
  let plan = given;
  const later = (): [string, CheckResult['kind']][] => [
    ...(plan.packages.length ? [[installName(plan), 'install'] as [string, CheckResult['kind']]] : []),
    ...plan.units.map(u => [`unit ${unitName(u)}`, 'unit'] as [string, CheckResult['kind']]),
    ...plan.network.map(n => [n.url, 'network'] as [string, CheckResult['kind']]),
  ];
  const skipRest = (from: number, why: string) => later().slice(from).forEach(([n, k]) => checks.skip(n, k, why));
  try {
    const booted = await checks.run('boot', 'boot', async () => {
      const t0 = Date.now();
      hooks.started(ProbeContainer.pending(engine, target.containerName));
      container = await ProbeContainer.start(engine, { image: target.image, imageName: target.label, name: target.containerName, volumes: [], bootTimeout: plan.bootTimeout });
      const facts = await container.facts();
      os = facts.os.prettyName;
      if (plan.forDistribution) plan = { ...plan, ...plan.forDistribution(await installerFor(facts)) };
      return { ok: true, detail: `${os} booted in ${((Date.now() - t0) / 1000).toFixed(1)}s` };
    });
    if (!booted || !container) {
      skipRest(0, 'the container did not boot');
      return done();
    }
    const c = container;
    let next = 0;
    if (plan.packages.length) {
      next = 1;
      const installed = await checks.run(installName(plan), 'install', () => install(c, plan));
      if (!installed) {
        skipRest(next, 'the packages did not install');
        return done();
      }
    }
    for (const u of plan.units) await checks.run(`unit ${unitName(u)}`, 'unit', () => checkUnit(c, u, plan.unitTimeoutMs));
    for (const n of plan.network) await checks.run(n.url, 'network', () => checkNetwork(c, n));
    return done();
  } finally {
    if (container && !plan.keep) await container.remove().catch(() => undefined);
  }

  function done(): ImageReport {
    return {
      image: target.label, os, container: container?.name, network: container?.network, kept: !!container && plan.keep,
      status: checks.list.some(x => x.status === 'failed') ? 'failed' : 'passed',
      durationMs: Date.now() - started, checks: checks.list,
    };
  }
}

async function install(c: ProbeContainer, plan: ProbePlan): Promise<{ ok: boolean; detail: string; output?: string }> {
  const facts = await c.facts();
  const installer = await installerFor(facts);
  const files: string[] = [];
  for (const p of plan.packages) if (p.kind === 'file') checkFormat(installer, facts.os, p.spec, p.format);
  for (const [i, p] of plan.packages.entries()) {
    if (p.kind !== 'file') continue;
    const inside = `${PACKAGE_DIR}/${i}-${path.basename(p.hostPath)}`;
    await c.copyIn(p.hostPath, inside);
    files.push(inside);
  }
  const names = plan.packages.flatMap(p => p.kind === 'name' ? [p.name] : []);
  let output = '';
  for (const step of installer.installSteps(files, names)) {
    const r = await c.run(step.argv, { env: step.env, timeoutMs: plan.installTimeoutMs });
    output += `$ ${step.argv.join(' ')}\n${r.output}\n`;
    if (r.timedOut) return { ok: false, detail: `${step.argv[0]} did not finish within ${Math.round(plan.installTimeoutMs / 1000)}s`, output };
    if (r.exitCode !== 0) {
      const last = r.output.split('\n').filter(l => /^(E:|Error|error:|Problem|No match)/i.test(l.trim())).pop() ?? r.output.split('\n').pop() ?? '';
      return { ok: false, detail: `${step.argv[0]} exited ${r.exitCode}: ${last.trim()}`, output };
    }
  }
  return { ok: true, detail: `installed with ${installer.tool}`, output };
}

async function checkNetwork(c: ProbeContainer, check: NetworkCheck): Promise<NetworkVerdict> {
  const probe = nodeScript(NET_PROBE, [JSON.stringify(check)]);
  const { cmd, args } = c.networkCommand([probe.cmd, ...probe.args]);
  const r = await runAllowFail(cmd, args, {
    timeout: check.timeoutMs + 20_000,
  });
  const line = String(r.stdout).trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as NetworkVerdict;
  } catch {
    return { ok: false, detail: `network check did not run: ${String(r.stderr).trim().split('\n').pop() ?? `exit code ${r.exitCode}`}` };
  }
}
