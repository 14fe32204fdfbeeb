import path from 'node:path';
import { RackerError } from '../errors.js';
import type { ImageFetcher } from '../image/fetcher.js';
import { familiarName, parseReference, registryApiHost } from '../image/reference.js';
import { fetcherFor, parseImageArg } from './image-source.js';
import type { Settings } from '../settings.js';
import type { ImageStore } from '../store/image-store.js';
import { type ImageRecord, type PullProgress, type PullResult, shortId } from '../model/image.js';
import type { ContainerStore } from '../store/container-store.js';
import type { EngineEvents } from './events.js';
import type { ImageResolver, MirrorSource, ResolvedImage } from './resolver.js';
import { byText } from '../compare.js';
import type { LoadedImage } from './image-load.js';
import type { ArchiveFormat } from './image-save.js';

export interface PullOptions {
  /** fetch and unpack again even what the store already has */
  force?: boolean;
  /** false: skip TLS verification and allow plain HTTP */
  tlsVerify?: boolean;
  retries?: number;
  retryDelayMs?: number;
  /** no progress events */
  quiet?: boolean;
  /** containers-policy.json(5) file instead of the default (--signature-policy) */
  signaturePolicy?: string;
}

export type PullPolicy = 'missing' | 'always' | 'never';

/** One line of `racker images`: an image under one of its names (or none). */
export interface ImageSummary {
  id: string;
  repository: string;
  tag: string;
  /** the stored name this row is for; undefined for an image without names */
  name?: string;
  names: string[];
  digest: string;
  created: string;
  size: number;
}

/**
 * The names tags.json may hold for an image name as the user gave it, most
 * specific first: its canonical form, the input itself and, with docker's
 * default tag, the input plus :latest when it names no tag or digest (so
 * postroj/debian-bookworm finds the stored postroj/debian-bookworm:latest).
 */
export function storedNameCandidates(input: string): string[] {
  const out: string[] = [];
  try {
    const { ref, names } = parseImageArg(input);
    out.push(names.canonical);
    if (ref.transport === 'docker' && !input.includes('@') && !/:[^/]*$/.test(input)) out.push(input, `${input}:latest`);
  } catch {
    // not a valid reference: it can still be an image id
  }
  return [...new Set([...out, input])];
}

/** Split a stored name into docker's REPOSITORY and TAG columns. */
export function splitName(name: string): { repository: string; tag: string } {
  try {
    const ref = parseReference(name);
    if (ref.transport === 'docker') return familiarName(ref);
  } catch {
    // a name we stored ourselves but cannot parse: show it whole
  }
  const colon = name.lastIndexOf(':');
  return colon > name.indexOf(':') ? { repository: name.slice(0, colon), tag: name.slice(colon + 1) } : { repository: name, tag: '<none>' };
}

/**
 * docker's `images REPOSITORY[:TAG]`: which stored names to show. A name
 * without a tag matches every tag of its repository.
 */
export function nameFilter(input: string): (name: string) => boolean {
  const ref = parseReference(input);
  if (ref.transport !== 'docker' || input.includes('@')) {
    const names = storedNameCandidates(input);
    return name => names.includes(name);
  }
  const tagged = /:[^/]*$/.test(input);
  return name => {
    try {
      const stored = parseReference(name);
      return stored.transport === 'docker' && stored.registry === ref.registry && stored.repository === ref.repository
        && (!tagged || stored.tag === ref.tag);
    } catch {
      return false;
    }
  };
}

/** Pull progress as engine events. */
function progressEvents(events: EngineEvents, image: string, quiet?: boolean): PullProgress {
  if (quiet) return { layerStart() {}, layerBytes() {}, layerDone() {}, finish() {} };
  return {
    layerStart: (digest, size) => events.emit('progress', { kind: 'layer-start', image, digest, size }),
    layerBytes: (digest, bytes) => events.emit('progress', { kind: 'layer-bytes', image, digest, bytes }),
    layerDone: (digest, state) => events.emit('progress', { kind: 'layer-done', image, digest, state }),
    finish: () => events.emit('progress', { kind: 'finish', image }),
  };
}

/** Images in the store: find, pull, list, remove. */
export class ImageService {
  constructor(readonly store: ImageStore, private readonly containers: ContainerStore, private readonly settings: Settings,
    private readonly events: EngineEvents, private readonly resolver?: ImageResolver) {}

  /** A name the resolver owns (a curated label), if any. */
  resolve(name: string): ResolvedImage | undefined {
    return this.resolver?.resolve(name);
  }

  /** By name or id; `check: false` also finds one whose stored config is malformed (rmi, inspect). */
  async find(input: string, opts: { check?: boolean } = {}): Promise<ImageRecord | undefined> {
    const resolved = this.resolve(input);
    return this.store.find(input, resolved ? [resolved.storeName] : storedNameCandidates(input), opts);
  }

  /** Pull a reference (or a name the resolver owns) into the store. */
  async pull(input: string, opts: PullOptions = {}): Promise<PullResult> {
    const resolved = this.resolve(input);
    if (resolved) {
      const r = await resolved.pull(this, { force: opts.force, quiet: opts.quiet });
      await this.store.tag([resolved.storeName], r.record.id);
      return r;
    }
    const { ref, names } = parseImageArg(input);
    const fetcher = await fetcherFor(ref, {
      tlsVerify: opts.tlsVerify, retries: opts.retries, retryDelayMs: opts.retryDelayMs, signaturePolicy: opts.signaturePolicy,
      deadlineMs: this.settings.registryTimeoutMs, minBlobBytesPerSec: this.settings.registryMinRate,
    });
    try {
      return await this.pullFrom(fetcher, input, { force: opts.force, quiet: opts.quiet, tags: names.tags, repoDigest: names.repoDigest });
    } finally {
      await fetcher.close?.();
    }
  }

  /** Pull what a fetcher of the caller's provides (postroj's mirror builds). */
  async pullFrom(fetcher: ImageFetcher, label: string, opts: { force?: boolean; quiet?: boolean; tags: string[]; repoDigest?: (d: string) => string }): Promise<PullResult> {
    const { pullImage } = await import('../store/pull.js');
    return pullImage(this.store, fetcher, {
      force: opts.force, progress: progressEvents(this.events, label, opts.quiet), tags: opts.tags, repoDigest: opts.repoDigest,
    });
  }

  /** Build an image from a package mirror (postroj's curated OS images): a minimal base and what OS containers need. */
  async buildFromMirror(label: string, mirror: MirrorSource, opts: { force?: boolean; quiet?: boolean } = {}): Promise<PullResult> {
    const { MirrorFetcher, OS_PACKAGES } = await import('../image/mirror-fetcher.js');
    const cacheDir = process.env.RACKER_MIRROR_CACHE ?? path.join(this.store.layout.root, 'cache', 'mirror');
    const fetcher = new MirrorFetcher({ ...mirror, packages: OS_PACKAGES, cacheDir });
    return this.pullFrom(fetcher, label, { force: opts.force, quiet: opts.quiet, tags: [] });
  }

  /** Whether the registry of `reference` answers at all: one quick try, no retries. */
  async registryAnswers(reference: string, timeoutMs = 3000): Promise<boolean> {
    const ref = parseReference(reference);
    if (ref.transport !== 'docker') return false;
    // loaded only here: node:https and tls are not on every start's path
    const { answers } = await import('../registry/http.js');
    return answers(`https://${registryApiHost(ref.registry)}/v2/`, timeoutMs);
  }

  /** Point `names` at the image `id`. */
  async tag(names: string[], id: string): Promise<void> {
    await this.store.tag(names, id);
  }

  /** Every stored name and the image id it points at. */
  async tags(): Promise<Record<string, string>> {
    return this.store.readTags();
  }

  /** By image id only (no names, no resolver); `check: false` also finds one whose stored config is malformed. */
  async byId(id: string, opts: { check?: boolean } = {}): Promise<ImageRecord | undefined> {
    return this.store.readImage(id, opts);
  }

  /** Bytes of each of an image's layers as unpacked, bottom first (0 for one the store lacks). */
  async layerSizes(image: ImageRecord): Promise<number[]> {
    return Promise.all(image.layers.map(async l => (await this.store.readLayer(l))?.size ?? 0));
  }

  /** The image `run` and `create` use, pulled as the policy says. */
  async ensure(input: string, policy: PullPolicy, opts: PullOptions = {}): Promise<ImageRecord> {
    const local = policy === 'always' ? undefined : await this.find(input);
    if (local) return local;
    if (policy === 'never') throw new RackerError(`image ${input} is not in the store`, { hint: `pull it first: racker pull ${input}` });
    if (policy === 'missing') this.events.emit('status', `Unable to find image '${input}' locally`);
    return (await this.pull(input, { ...opts, force: opts.force ?? policy === 'always' })).record;
  }

  /** Every image under each of its names, sorted as docker sorts; `reference` limits it to one repository or name. */
  async list(reference?: string): Promise<ImageSummary[]> {
    const wanted = reference === undefined ? undefined : nameFilter(reference);
    const tags = await this.store.readTags();
    const rows: ImageSummary[] = [];
    for (const img of await this.store.listImages()) {
      const names = Object.keys(tags).filter(n => tags[n] === img.id).sort();
      const base = { id: img.id, digest: img.manifestDigest, created: img.config.created ?? img.pulledAt, size: img.size, names };
      if (names.length === 0) rows.push({ ...base, repository: '<none>', tag: '<none>' });
      for (const n of names) rows.push({ ...base, ...splitName(n), name: n });
    }
    return rows
      .filter(r => !wanted || (r.name !== undefined && wanted(r.name)))
      .sort((a, b) => byText(a.repository, b.repository) || byText(a.tag, b.tag));
  }

  /**
   * docker's rules: removing by name untags that name and deletes the image
   * only when no name is left; removing by id needs `force` when several names
   * point at it; an image used by a container needs `force`. Returns docker's
   * "Untagged: …" / "Deleted: …" lines.
   */
  async remove(input: string, force: boolean): Promise<string[]> {
    const out: string[] = [];
    const record = await this.find(input, { check: false });
    if (!record) throw new RackerError(`No such image: ${input}`, { hint: 'racker images lists what is in the store' });
    const names = this.store.namesOf(await this.store.readTags(), record.id);
    const resolved = this.resolve(input);
    const byName = (resolved ? [resolved.storeName] : storedNameCandidates(input)).find(n => names.includes(n));

    const users = (await this.containers.list()).filter(c => c.image === record.id);
    if (users.length && !force) {
      throw new RackerError(`unable to remove image ${input}: container ${shortId(users[0].id)} (${users[0].name}) is using it`, { hint: `remove the container first (racker rm ${users[0].name}) or use --force` });
    }
    if (byName && names.length > 1) {
      await this.store.untag([byName]);
      return [`Untagged: ${byName}`];
    }
    if (!byName && names.length > 1 && !force) {
      throw new RackerError(`unable to delete ${shortId(record.id)} (must be forced): image is referenced in multiple repositories`, { hint: 'remove it by name, or use --force' });
    }
    await this.store.untag(names);
    for (const n of names) out.push(`Untagged: ${n}`);
    // layers a container still stacks on stay until that container is gone
    const keep = new Set(users.flatMap(u => u.layers));
    const removed = await this.store.removeImage(record.id, keep);
    out.push(`Deleted: ${record.id}`);
    for (const l of removed) out.push(`Deleted: ${l}`);
    return out;
  }

  /** docker's `load`: every image of an archive file (or stdin), checked whole before any is stored. */
  async load(input: { file?: string }, opts: { quiet?: boolean } = {}): Promise<LoadedImage[]> {
    const { loadArchive } = await import('./image-load.js');
    return loadArchive(this, input, opts);
  }

  /** docker's `save`: the archive's bytes; every image is looked up before the first byte. */
  async save(inputs: string[], format: ArchiveFormat): Promise<AsyncIterable<Buffer>> {
    const { saveArchive } = await import('./image-save.js');
    return saveArchive(this, inputs, format);
  }

  /** docker's `image inspect` document. */
  async inspect(input: string): Promise<Record<string, unknown> | undefined> {
    const rec = await this.find(input, { check: false });
    if (!rec) return undefined;
    const names = this.store.namesOf(await this.store.readTags(), rec.id);
    return {
      Id: rec.id,
      RepoTags: names,
      RepoDigests: rec.repoDigests,
      Created: rec.config.created ?? '',
      Architecture: rec.config.architecture ?? '',
      Os: rec.config.os ?? '',
      Size: rec.size,
      Config: rec.config.config ?? {},
      RootFS: { Type: 'layers', Layers: rec.diffIds },
      GraphDriver: { Name: 'overlay', Data: { LowerDir: [...rec.layers].reverse().map(l => this.store.layout.layerFs(l)).join(':') } },
      Source: rec.source,
    };
  }
}
