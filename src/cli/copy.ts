import { RackerError } from '../errors.js';
import type { Engine } from '../engine/engine.js';

export interface CpFlags { archive?: boolean; followLink?: boolean }

/** docker's reading of a cp argument: CONTAINER:PATH, unless it starts like a local path (`/`, `.`) or has no colon. */
export function cpTarget(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const i = arg.indexOf(':');
  return i > 0 ? { container: arg.slice(0, i), path: arg.slice(i + 1) } : { path: arg };
}

/** One copy between the host and a container named in src or dest (racker cp, racker compose cp). */
export async function copy(engine: Engine, src: { container?: string; path: string }, dest: { container?: string; path: string }, flags: CpFlags,
  resolve: (name: string) => Promise<string> = async n => n): Promise<void> {
  const opts = { archive: flags.archive, followLink: flags.followLink };
  if (src.container !== undefined && dest.container !== undefined) throw new RackerError('cp: copying between containers is not supported', { hint: 'copy to the host, then into the other container' });
  if (src.container !== undefined) return engine.containers.copyOut(await resolve(src.container), src.path, dest.path, process.stdout, opts);
  if (dest.container !== undefined) return engine.containers.copyIn(await resolve(dest.container), src.path, dest.path, process.stdin, opts);
  throw new RackerError('cp: name a container in the source or the destination', { hint: 'racker cp CONTAINER:SRC DEST, or racker cp SRC CONTAINER:DEST' });
}
