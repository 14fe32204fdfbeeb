import type { Engine } from '../engine/engine.js';
import type { ContainerRecord } from '../model/container.js';

/**
 * `compose wait`: until each of the containers stops, its exit code handed to
 * `onExit` as it comes (docker compose prints them in that order). With
 * `first`, returns after the first one (for --down-project).
 */
export async function waitServices(engine: Engine, recs: ContainerRecord[], onExit: (rec: ContainerRecord, code: number) => void, opts: { first?: boolean } = {}): Promise<void> {
  const waits = recs.map(async rec => {
    const code = (await engine.containers.wait(rec.id, 'not-running')) ?? 0;
    onExit(rec, code);
  });
  if (opts.first) await Promise.race(waits);
  else await Promise.all(waits);
}
