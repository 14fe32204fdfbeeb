import { RackerError } from '../errors.js';
import { verbose } from '../log.js';
import type { ImagePuller, ImageResolver } from '../engine/resolver.js';
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
    // can the vendor's registry be reached at all? one quick try, no retries
    source = image.mirror && !await images.registryAnswers(image.registry, 3000) ? 'mirror' : 'registry';
    verbose(`${image.label}: using the ${source}`);
  }
  let result: PullResult;
  if (source === 'mirror') {
    const m = image.mirror!;
    result = await images.buildFromMirror(image.label, { ...m, url: opts.mirror ?? m.url }, { force: opts.force, quiet: opts.quiet });
  } else {
    result = await images.pull(image.registry, { force: opts.force, quiet: opts.quiet });
  }
  await images.tag([image.storeName], result.record.id);
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
