import type { Engine } from '../engine/engine.js';
import { serviceContainers } from './containers.js';
import type { Project } from './types.js';

/** One row of `compose images`, docker compose's JSON field names. */
export interface ImageRow { ID: string; ContainerName: string; Repository: string; Tag: string; Size: number }

/** The image each of the project's containers was made from (also stopped ones), as the store names it now. */
export async function imageRows(engine: Engine, project: Project, services: string[] = []): Promise<ImageRow[]> {
  const recs = await serviceContainers(engine, project.name, services);
  const images = await engine.images.list();
  return recs.map(rec => {
    const byName = images.find(i => i.id === rec.image && i.name === rec.imageName);
    const any = byName ?? images.find(i => i.id === rec.image);
    return {
      ID: rec.image, ContainerName: rec.name,
      Repository: any?.repository ?? '<none>', Tag: any?.tag ?? '<none>', Size: any?.size ?? 0,
    };
  });
}
