import { RackerError } from '../errors.js';
import type { Engine } from '../engine/engine.js';
import type { ContainerRecord } from '../model/container.js';
import { serviceContainers, serviceOf } from './containers.js';
import { dependencyOrder, stopOrder } from './order.js';
import { removeContainerFiles } from './secrets.js';
import type { Project } from './types.js';
import type { Report } from './up.js';

/** start, stop, restart, kill, rm of a project's existing containers (all, or these services'). */

async function ordered(engine: Engine, project: Project, services: string[], reverse: boolean): Promise<ContainerRecord[]> {
  for (const s of services) if (!project.services[s]) throw new RackerError(`no such service: ${s}`, { hint: `services: ${Object.keys(project.services).sort().join(', ')}` });
  const rank = new Map((reverse ? stopOrder : dependencyOrder)(project.services).map((s, i) => [s, i]));
  return (await serviceContainers(engine, project.name, services)).sort((a, b) => (rank.get(serviceOf(a)) ?? -1) - (rank.get(serviceOf(b)) ?? -1));
}

export async function startServices(engine: Engine, project: Project, services: string[], report: Report): Promise<void> {
  for (const c of await ordered(engine, project, services, false)) {
    if (c.state.status === 'running') continue;
    await engine.containers.start(c.id);
    report(`Container ${c.name}  Started`);
  }
}

export async function stopServices(engine: Engine, project: Project, services: string[], timeout: number | undefined, report: Report): Promise<void> {
  for (const c of await ordered(engine, project, services, true)) {
    if (c.state.status !== 'running') continue;
    await engine.containers.stop(c.id, timeout);
    report(`Container ${c.name}  Stopped`);
  }
}

export async function restartServices(engine: Engine, project: Project, services: string[], timeout: number | undefined, report: Report): Promise<void> {
  await stopServices(engine, project, services, timeout, report);
  await startServices(engine, project, services, report);
}

export async function killServices(engine: Engine, project: Project, services: string[], signal: string, report: Report): Promise<void> {
  for (const c of await ordered(engine, project, services, true)) {
    if (c.state.status !== 'running') continue;
    await engine.containers.kill(c.id, signal);
    report(`Container ${c.name}  Killed`);
  }
}

/** Remove stopped containers (`force`: running ones too); `volumes`: their anonymous volumes. */
export async function removeServices(engine: Engine, project: Project, services: string[], opts: { force?: boolean; volumes?: boolean }, report: Report): Promise<void> {
  for (const c of await ordered(engine, project, services, true)) {
    if (c.state.status === 'running' && !opts.force) continue;
    await engine.containers.remove(c.id, { force: true, volumes: !!opts.volumes });
    await removeContainerFiles(engine, project.name, c.name);
    report(`Container ${c.name}  Removed`);
  }
}
