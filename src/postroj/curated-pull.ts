import path from 'node:path';
import { RackerError } from '../errors.js';
import { verbose } from '../log.js';
import type { Context } from '../cli/context.js';
import { pullByName } from '../cli/racker/pull.js';
import { MirrorFetcher, OS_PACKAGES } from '../image/mirror-fetcher.js';
import { parseReference, registryApiHost } from '../image/reference.js';
import { pullImage, type PullResult } from '../store/pull.js';
import { progressFor } from '../store/progress.js';
import type { CuratedImage } from './catalogue.js';

export type CuratedSource = 'auto' | 'registry' | 'mirror';

export interface CuratedPullOptions {
  force?: boolean;
  source?: CuratedSource;
  /** package mirror URL instead of the catalogue's */
  mirror?: string;
  quiet?: boolean;
}

/** Can the vendor's registry be reached at all? One quick try, no retries. */
async function registryReachable(image: CuratedImage): Promise<boolean> {
  const ref = parseReference(image.registry);
  if (ref.transport !== 'docker') return false;
  try {
    await fetch(`https://${registryApiHost(ref.registry)}/v2/`, { signal: AbortSignal.timeout(3000) });
    return true;
  } catch {
    return false;
  }
}

export function mirrorCacheDir(ctx: Context): string {
  return process.env.RACKER_MIRROR_CACHE ?? path.join(ctx.settings.root, 'cache', 'mirror');
}

/**
 * Get a curated image into the store under its label's name: from the vendor's
 * registry, or built from the distribution's mirror (the default for Debian and
 * Ubuntu when the registry cannot be reached).
 */
export async function pullCurated(ctx: Context, image: CuratedImage, opts: CuratedPullOptions = {}): Promise<PullResult> {
  let source = opts.source ?? 'auto';
  if (source === 'mirror' && !image.mirror) {
    throw new RackerError(`${image.label} cannot be built from a package mirror`, { hint: 'only Debian and Ubuntu labels can; use --source registry' });
  }
  if (source === 'auto') {
    source = image.mirror && !await registryReachable(image) ? 'mirror' : 'registry';
    verbose(`${image.label}: using the ${source}`);
  }
  let result: PullResult;
  if (source === 'mirror') {
    const m = image.mirror!;
    const fetcher = new MirrorFetcher({ ...m, url: opts.mirror ?? m.url, packages: OS_PACKAGES, cacheDir: mirrorCacheDir(ctx) });
    result = await pullImage(ctx.images, fetcher, { force: opts.force, progress: progressFor(process.stderr, opts.quiet), tags: [] });
  } else {
    result = await pullByName(ctx, image.registry, { force: opts.force, quiet: opts.quiet });
  }
  await ctx.images.tag([image.storeName], result.record.id);
  return result;
}
