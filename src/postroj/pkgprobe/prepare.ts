import { randomHex } from '../../random.js';
import path from 'node:path';
import { RackerError } from '../../errors.js';
import type { Engine } from '../../engine/engine.js';
import { findCurated } from '../catalogue.js';
import { pullCurated } from '../curated-pull.js';
import type { ImageRecord } from '../../model/image.js';
import { PackageCache } from './package-cache.js';
import { verifyPackageFile, type PackageSource } from './package-source.js';
import type { PreparedPackage } from './probe.js';

/** `--image` values: a curated label, or any image reference racker can pull. */
export async function resolveProbeImage(engine: Engine, given: string, opts: { tlsVerify?: boolean }): Promise<ImageRecord> {
  const curated = findCurated(given);
  if (curated) {
    const tags = await engine.images.tags();
    const id = tags[curated.storeName];
    const rec = id ? await engine.images.byId(id) : undefined;
    return rec ?? (await pullCurated(engine.images, curated, {})).record;
  }
  const local = await engine.images.find(given);
  if (local) return local;
  // a bare word that is no label is almost always a typo, not a Docker Hub library image
  if (/^[a-z0-9][a-z0-9._-]*$/.test(given)) {
    throw new RackerError(`unknown image label '${given}'`, { hint: 'postroj list-images shows the labels; for a registry image give its reference, e.g. docker.io/library/debian:bookworm' });
  }
  return (await engine.images.pull(given, { tlsVerify: opts.tlsVerify === false ? false : undefined })).record;
}

/** Local files checked, URLs downloaded into the cache (once for all images). */
export async function preparePackages(engine: Engine, sources: PackageSource[], opts: { refresh?: boolean }): Promise<PreparedPackage[]> {
  const cache = new PackageCache(path.join(engine.settings.root, 'cache', 'packages'));
  const out: PreparedPackage[] = [];
  for (const s of sources) {
    if (s.kind === 'name') {
      out.push({ kind: 'name', spec: s.spec, name: s.name });
    } else if (s.kind === 'file') {
      await verifyPackageFile(s.path, s.format);
      out.push({ kind: 'file', spec: s.spec, hostPath: s.path, format: s.format });
    } else {
      const file = await cache.get(s.url, { force: opts.refresh });
      await verifyPackageFile(file, s.format).catch(err => {
        throw new RackerError(`${s.spec}: ${(err as Error).message}`, { hint: (err as RackerError).hint });
      });
      out.push({ kind: 'file', spec: s.spec, hostPath: file, format: s.format });
    }
  }
  return out;
}

/** A container name that says what it is for, unique per run. */
export function probeContainerName(label: string): string {
  const base = label.replace(/^[a-z]+:\/\//, '').replace(/[^a-zA-Z0-9_.-]+/g, '-').replace(/\.\.+/g, '.').replace(/^[^a-zA-Z0-9]+/, '').slice(0, 40);
  return `postroj-${base || 'image'}-${randomHex(3)}`;
}
