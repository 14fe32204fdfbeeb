import { RackerError } from '../errors.js';
import type { Engine } from '../engine/engine.js';
import type { Project, ServiceConfig } from './types.js';

/**
 * A project's networks and volumes: made before its containers (external
 * ones must exist), removed after them by `down` (never external ones).
 */

const NETWORK_LABELS = (project: string, key: string) => ({ 'com.docker.compose.project': project, 'com.docker.compose.network': key });
const VOLUME_LABELS = (project: string, key: string) => ({ 'com.docker.compose.project': project, 'com.docker.compose.volume': key });

/** The network keys these services use. */
function networksOf(services: ServiceConfig[]): Set<string> {
  return new Set(services.flatMap(s => Object.keys(s.networks ?? {})));
}

/** The volume keys these services mount. */
function volumesOf(services: ServiceConfig[]): Set<string> {
  return new Set(services.flatMap(s => s.volumes.flatMap(v => (v.type === 'volume' && v.source !== undefined ? [v.source] : []))));
}

/** Create what these services need and is missing; the names of what was created. */
export async function ensureResources(engine: Engine, project: Project, services: ServiceConfig[]): Promise<{ networks: string[]; volumes: string[] }> {
  const made = { networks: [] as string[], volumes: [] as string[] };
  for (const key of [...networksOf(services)].sort()) {
    const n = project.networks[key];
    const name = n?.name ?? `${project.name}_${key}`;
    if (await engine.networks.find(name)) continue;
    if (n?.external) throw new RackerError(`network ${name} declared as external, but could not be found`, { hint: `create it first: racker network create ${name}` });
    const subnet = n?.subnets[0];
    await engine.networks.create({
      name, internal: !!n?.internal, labels: { ...n?.labels, ...NETWORK_LABELS(project.name, key) },
      ...(subnet?.subnet ? { subnet: subnet.subnet } : {}), ...(subnet?.gateway ? { gateway: subnet.gateway } : {}),
    });
    made.networks.push(name);
  }
  for (const key of [...volumesOf(services)].sort()) {
    const v = project.volumes[key];
    const name = v?.name ?? `${project.name}_${key}`;
    if (await engine.volumes.find(name)) continue;
    if (v?.external) throw new RackerError(`external volume "${name}" not found`, { hint: `create it first: racker volume create ${name}` });
    await engine.volumes.create({ name, labels: { ...v?.labels, ...VOLUME_LABELS(project.name, key) } });
    made.volumes.push(name);
  }
  return made;
}

/** Remove the project's networks (not external ones); the names removed. */
export async function removeNetworks(engine: Engine, project: Project): Promise<string[]> {
  const out: string[] = [];
  for (const n of Object.values(project.networks)) {
    if (n.external) continue;
    const rec = await engine.networks.find(n.name);
    if (!rec) continue;
    // a network of the same name that another project made is not ours to remove
    if (rec.labels['com.docker.compose.project'] !== undefined && rec.labels['com.docker.compose.project'] !== project.name) continue;
    await engine.networks.remove(n.name);
    out.push(n.name);
  }
  return out;
}

/** Remove the project's named volumes (not external ones); the names removed. */
export async function removeVolumes(engine: Engine, project: Project): Promise<string[]> {
  const out: string[] = [];
  for (const v of Object.values(project.volumes)) {
    if (v.external || !await engine.volumes.find(v.name)) continue;
    if (await engine.volumes.remove(v.name)) out.push(v.name);
  }
  return out.sort();
}
