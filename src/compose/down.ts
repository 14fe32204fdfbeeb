import type { Engine } from '../engine/engine.js';
import { projectContainers, serviceOf } from './containers.js';
import { stopOrder } from './order.js';
import { removeNetworks, removeVolumes } from './resources.js';
import { pruneProjectFiles, removeContainerFiles } from './secrets.js';
import type { Project } from './types.js';
import type { Report } from './up.js';

export interface DownOptions {
  /** also the named volumes (not external ones) and the containers' anonymous volumes */
  volumes?: boolean;
  /** also containers of services no longer in the file */
  removeOrphans?: boolean;
  /** seconds between SIGTERM and SIGKILL (default: each container's own) */
  timeout?: number;
}

/**
 * `compose down`: the project's containers stopped (dependents first) and
 * removed, one-off ones too; then its networks; with `volumes` its volumes.
 */
export async function down(engine: Engine, project: Project, opts: DownOptions, report: Report): Promise<void> {
  const all = await projectContainers(engine, project.name, { oneoff: true });
  const rank = new Map(stopOrder(project.services).map((s, i) => [s, i]));
  const known = all.filter(c => rank.has(serviceOf(c)));
  const orphans = all.filter(c => !rank.has(serviceOf(c)));
  if (orphans.length && !opts.removeOrphans) report(`Found orphan containers (${orphans.map(c => c.name).join(', ')}); remove them with --remove-orphans`);
  const doomed = [...(opts.removeOrphans ? orphans : []), ...known.sort((a, b) => rank.get(serviceOf(a))! - rank.get(serviceOf(b))!)];
  // stop in order (dependents first), then remove
  for (const c of doomed) {
    if (c.state.status !== 'running') continue;
    await engine.containers.stop(c.id, opts.timeout);
    report(`Container ${c.name}  Stopped`);
  }
  for (const c of doomed) {
    await engine.containers.remove(c.id, { force: true, volumes: !!opts.volumes });
    await removeContainerFiles(engine, project.name, c.name);
    report(`Container ${c.name}  Removed`);
  }
  const left = await projectContainers(engine, project.name, { oneoff: true });
  await pruneProjectFiles(engine, project.name, left.map(c => c.name));
  for (const n of await removeNetworks(engine, project)) report(`Network ${n}  Removed`);
  if (opts.volumes) for (const v of await removeVolumes(engine, project)) report(`Volume ${v}  Removed`);
}
