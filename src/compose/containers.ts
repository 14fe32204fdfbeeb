import type { Engine } from '../engine/engine.js';
import type { ContainerRecord } from '../model/container.js';
import { LABEL } from './naming.js';
import { byText } from '../compare.js';

/** The engine's containers of one compose project, found by their labels. */

export const labelOf = (rec: ContainerRecord, key: string): string | undefined => rec.spec.labels?.[key];
export const serviceOf = (rec: ContainerRecord): string => labelOf(rec, LABEL.service) ?? '';
export const isOneOff = (rec: ContainerRecord): boolean => labelOf(rec, LABEL.oneoff) === 'True';

/** All of the project's containers (also stopped ones), oldest first; `oneoff` also `compose run`'s. */
export async function projectContainers(engine: Engine, project: string, opts: { oneoff?: boolean } = {}): Promise<ContainerRecord[]> {
  return (await engine.containers.list({ all: true }))
    .filter(c => labelOf(c, LABEL.project) === project && (opts.oneoff || !isOneOff(c)))
    .sort((a, b) => byText(a.created, b.created));
}

/** The project's containers of these services (all when none are named). */
export async function serviceContainers(engine: Engine, project: string, services: string[]): Promise<ContainerRecord[]> {
  const list = await projectContainers(engine, project);
  return services.length ? list.filter(c => services.includes(serviceOf(c))) : list;
}
