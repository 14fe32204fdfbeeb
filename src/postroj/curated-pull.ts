import path from 'node:path';
import { RackerError } from '../errors.js';
import { verbose } from '../log.js';
import type { ImagePuller, ImageResolver } from '../engine/resolver.js';
import { MirrorFetcher, OS_PACKAGES } from '../image/mirror-fetcher.js';
import { parseReference, registryApiHost } from '../image/reference.js';
import type { PullResult } from '../model/image.js';
import { findCurated, type CuratedImage } from './catalogue.js';

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
  // loaded only here: node:https and tls are not on every start's path
  const { answers } = await import('../registry/http.js');
  return answers(`https://${registryApiHost(ref.registry)}/v2/`, 3000);
}

export function mirrorCacheDir(images: ImagePuller): string {
  return process.env.RACKER_MIRROR_CACHE ?? path.join(images.store.layout.root, 'cache', 'mirror');
}

/**
 * Get a curated image into the store under its label's name: from the vendor's
 * registry, or built from the distribution's mirror (the default for Debian and
 * Ubuntu when the registry cannot be reached).
 */
export async function pullCurated(images: ImagePuller, image: CuratedImage, opts: CuratedPullOptions = {}): Promise<PullResult> {
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
    const fetcher = new MirrorFetcher({ ...m, url: opts.mirror ?? m.url, packages: OS_PACKAGES, cacheDir: mirrorCacheDir(images) });
    result = await images.pullFrom(fetcher, image.label, { force: opts.force, quiet: opts.quiet, tags: [] });
  } else {
    result = await images.pull(image.registry, { force: opts.force, quiet: opts.quiet });
  }
  await images.store.tag([image.storeName], result.record.id);
  return result;
}

/** Curated labels (debian-bookworm, …) as names the engine can run: stored as postroj/LABEL:latest, booted by default. */
export const curatedResolver: ImageResolver = {
  resolve(name) {
    const image = findCurated(name);
    if (!image) return undefined;
    return { storeName: image.storeName, boot: true, pull: (images, opts) => pullCurated(images, image, opts) };
  },
};
