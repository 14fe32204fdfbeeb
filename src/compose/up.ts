import { mkdir } from 'node:fs/promises';
import { RackerError } from '../errors.js';
import type { Engine } from '../engine/engine.js';
import type { ContainerRecord } from '../model/container.js';
import { labelOf, projectContainers, serviceOf } from './containers.js';
import { LABEL } from './naming.js';
import { dependencyOrder } from './order.js';
import { ensureResources } from './resources.js';
import { filesDir, removeContainerFiles, removeServiceFiles, writeServiceFiles } from './secrets.js';
import { serviceSpec } from './service-spec.js';
import type { DependsOn, Project, ServiceConfig } from './types.js';

/**
 * `compose up`: networks and volumes, then each service's containers in
 * dependency order, each started once what it depends on is started,
 * healthy or completed. Converges: a container whose config hash matches its
 * service is left as it is (started if stopped), one that differs is
 * recreated, `forceRecreate` recreates all.
 */

export interface UpOptions {
  /** only these services and what they depend on (all when empty) */
  services?: string[];
  forceRecreate?: boolean;
  noStart?: boolean;
  removeOrphans?: boolean;
  /** wait until every container is healthy (or running) */
  wait?: boolean;
  /** seconds for --wait and dependency conditions (default: no limit) */
  waitTimeout?: number;
  /** aborts waiting between steps (Ctrl-C during an attached up) */
  signal?: AbortSignal;
}

/** One line per step, as docker compose prints them: `Container NAME  Started`. */
export type Report = (line: string) => void;

/** The services to bring up: the named ones and what they depend on, in dependency order. */
export function selectServices(project: Project, names: string[] = []): string[] {
  for (const n of names) if (!project.services[n]) throw new RackerError(`no such service: ${n}`, { hint: `services: ${Object.keys(project.services).sort().join(', ')}` });
  if (!names.length) return dependencyOrder(project.services);
  const keep = new Set<string>();
  const add = (s: string) => {
    if (keep.has(s) || !project.services[s]) return;
    keep.add(s);
    Object.keys(project.services[s].depends_on).forEach(add);
  };
  names.forEach(add);
  return dependencyOrder(project.services).filter(s => keep.has(s));
}

/** A curated OS image boots without x-racker (as with racker run): the engine's resolver says so. */
export function bootsImage(engine: Engine, service: ServiceConfig): boolean {
  return service.boot || !!engine.images.resolve(service.image)?.boot;
}

/**
 * Wait until the container's health check (run by its supervisor,
 * engine/health.ts) records healthy; unhealthy, an exit, the deadline or
 * the signal end the wait with one line.
 */
export async function waitHealthy(engine: Engine, rec: ContainerRecord, deadline: number, signal?: AbortSignal): Promise<void> {
  const left = deadline === Infinity ? undefined : Math.max(1, deadline - Date.now());
  try {
    await engine.containers.wait(rec.id, 'healthy', left, { signal, failUnhealthy: true });
  } catch (err) {
    if (!(err instanceof RackerError) || err.exitCode === 130) throw err;
    if (/gave up waiting/.test(err.message)) throw new RackerError(`container ${rec.name} is not healthy in time`, { hint: 'raise --wait-timeout or look at racker compose logs' });
    // compose's own failure (125), not the exit code `racker wait` gives
    throw new RackerError(err.message, { hint: err.hint });
  }
}

export async function up(engine: Engine, project: Project, opts: UpOptions, report: Report): Promise<ContainerRecord[]> {
  const order = selectServices(project, opts.services);
  const deadline = opts.waitTimeout === undefined ? Infinity : Date.now() + opts.waitTimeout * 1000;
  const abort = () => { if (opts.signal?.aborted) throw new RackerError('interrupted', { exitCode: 130 }); };

  const existing = await projectContainers(engine, project.name);
  // a service left out by its profile is not an orphan
  for (const orphan of existing.filter(c => !project.services[serviceOf(c)] && !project.disabledServices.includes(serviceOf(c)))) {
    if (!opts.removeOrphans) { report(`Found orphan container ${orphan.name} (service ${serviceOf(orphan)}); remove it with --remove-orphans`); continue; }
    await engine.containers.remove(orphan.id, { force: true, volumes: true });
    await removeContainerFiles(engine, project.name, orphan.name);
    report(`Container ${orphan.name}  Removed`);
  }
  const made = await ensureResources(engine, project, order.map(s => project.services[s]));
  for (const n of made.networks) report(`Network ${n}  Created`);
  for (const v of made.volumes) report(`Volume ${v}  Created`);

  const byService = new Map<string, ContainerRecord[]>();
  for (const name of order) {
    abort();
    const service = project.services[name];
    if (!opts.noStart) {
      for (const [dep, cond] of Object.entries(service.depends_on)) {
        if (!order.includes(dep)) continue;
        await dependencyMet(engine, dep, cond, byService.get(dep) ?? [], deadline, opts.signal, report);
      }
    }
    byService.set(name, await converge(engine, project, service, existing.filter(c => serviceOf(c) === name), opts, report));
  }
  const all = [...byService.values()].flat();
  if (opts.wait && !opts.noStart) await waitAll(engine, project, byService, deadline, opts.signal, report);
  return all;
}

/** A service's containers 1..scale: kept, started, recreated or created; extra ones removed. */
async function converge(engine: Engine, project: Project, service: ServiceConfig, have: ContainerRecord[], opts: UpOptions, report: Report): Promise<ContainerRecord[]> {
  const out: ContainerRecord[] = [];
  for (const extra of have.filter(c => Number(labelOf(c, LABEL.number)) > service.scale)) {
    await engine.containers.remove(extra.id, { force: true, volumes: true });
    await removeContainerFiles(engine, project.name, extra.name);
    report(`Container ${extra.name}  Removed`);
  }
  for (let n = 1; n <= service.scale; n++) {
    const dir = filesDir(engine, project, service, n);
    const { input, files, warnings } = serviceSpec(project, service, n, { filesDir: dir, boots: bootsImage(engine, service) });
    let rec = have.find(c => labelOf(c, LABEL.number) === String(n));
    if (rec && !opts.forceRecreate && labelOf(rec, LABEL.hash) === input.labels![LABEL.hash]) {
      // the secret and config files are written again: their sources may have changed, and the container binds them
      await writeServiceFiles(project, service, files);
      if (rec.state.status !== 'running' && !opts.noStart) {
        rec = await engine.containers.start(rec.id);
        report(`Container ${rec.name}  Started`);
      } else {
        report(`Container ${rec.name}  ${rec.state.status === 'running' ? 'Running' : 'Created'}`);
      }
      out.push(rec);
      continue;
    }
    for (const w of warnings) report(`warning: ${w}`);
    if (rec) {
      await engine.containers.stop(rec.id);
      await engine.containers.remove(rec.id, { force: true, volumes: true });
      report(`Container ${rec.name}  Recreated`);
    }
    // docker creates a missing bind mount source as a directory
    for (const v of service.volumes) if (v.type === 'bind' && v.bind?.create_host_path) await mkdir(v.source!, { recursive: true });
    await writeServiceFiles(project, service, files);
    try {
      rec = await engine.containers.create(input, { pull: service.pull_policy, detached: true });
    } catch (err) {
      await removeServiceFiles(dir);
      throw err;
    }
    if (!opts.noStart) {
      await engine.containers.start(rec.id);
      report(`Container ${rec.name}  Started`);
    } else {
      report(`Container ${rec.name}  Created`);
    }
    out.push(await engine.containers.get(rec.id));
  }
  return out;
}

/** Wait until `dep`'s containers meet `cond`; a dependency with required: false only warns. */
async function dependencyMet(engine: Engine, dep: string, cond: DependsOn, recs: ContainerRecord[], deadline: number, signal: AbortSignal | undefined, report: Report): Promise<void> {
  try {
    for (const rec of recs) {
      if (cond.condition === 'service_healthy') {
        if (!rec.spec.healthcheck?.test) throw new RackerError(`dependency ${dep} has no healthcheck configured`, { hint: 'give it a healthcheck, or use condition: service_started' });
        await waitHealthy(engine, rec, deadline, signal);
        report(`Container ${rec.name}  Healthy`);
      } else if (cond.condition === 'service_completed_successfully') {
        const code = await exitCodeOf(engine, rec, deadline, signal);
        if (code !== 0) throw new RackerError(`service ${dep} didn't complete successfully: exit ${code}`, { hint: `see racker logs ${rec.name}` });
        report(`Container ${rec.name}  Exited`);
      } else {
        const now = await engine.containers.get(rec.id);
        if (now.state.status !== 'running' && now.state.status !== 'exited') throw new RackerError(`service ${dep} is not started`);
      }
    }
  } catch (err) {
    if (cond.required || signal?.aborted) throw err;
    report(`warning: optional dependency ${dep} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Wait for a container to exit; its exit code. */
export async function exitCodeOf(engine: Engine, rec: ContainerRecord, deadline: number, signal?: AbortSignal): Promise<number> {
  const timeoutMs = deadline === Infinity ? undefined : Math.max(0, deadline - Date.now());
  const r = await engine.containers.waitFor(rec.id, 'exited', { timeoutMs, signal });
  if (r.met) return r.rec!.state.exitCode ?? -1;
  if (r.why === 'aborted') throw new RackerError('interrupted', { exitCode: 130 });
  throw new RackerError(`container ${rec.name} did not exit in time`, { hint: 'raise --wait-timeout' });
}

/** --wait: every container healthy (with a test) or running; one that exited 0 is fine when a service waits for it to complete. */
async function waitAll(engine: Engine, project: Project, byService: Map<string, ContainerRecord[]>, deadline: number, signal: AbortSignal | undefined, report: Report): Promise<void> {
  const oneShots = new Set(Object.values(project.services).flatMap(s => Object.entries(s.depends_on).filter(([, d]) => d.condition === 'service_completed_successfully').map(([k]) => k)));
  const failures: string[] = [];
  await Promise.all([...byService].flatMap(([service, recs]) => recs.map(async rec => {
    try {
      const now = await engine.containers.get(rec.id);
      if (now.state.status === 'exited' && oneShots.has(service) && now.state.exitCode === 0) { report(`Container ${rec.name}  Exited`); return; }
      if (now.spec.healthcheck?.test) {
        await waitHealthy(engine, rec, deadline, signal);
        report(`Container ${rec.name}  Healthy`);
      } else if (now.state.status !== 'running') {
        throw new RackerError(`container ${rec.name} exited (${now.state.exitCode ?? -1})`);
      }
    } catch (err) {
      failures.push(err instanceof Error ? err.message : String(err));
    }
  })));
  if (failures.length) throw new RackerError(failures[0], { hint: failures.length > 1 ? `and ${failures.length - 1} more; see racker compose ps -a` : 'see racker compose ps -a and racker compose logs' });
}
