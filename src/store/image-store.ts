import { readFile, readdir, rm, rename } from 'node:fs/promises';
import { RackerError, isErrno } from '../errors.js';
import { type ImageConfig, type ImageRecord, shortId } from '../model/image.js';
import { imageConfigProblem } from '../image/image-config.js';
import { stagingName, writeFileAtomic } from '../atomic.js';
import { withLock } from '../lock.js';
import { StoreLayout } from './layout.js';

export interface LayerRecord {
  digest: string;
  diffId: string;
  mediaType: string;
  /** bytes of the uncompressed tar */
  size: number;
  unpackedAt: string;
}

export type Tags = Record<string, string>;

export class ImageStore {
  readonly layout: StoreLayout;

  constructor(root: string) {
    this.layout = new StoreLayout(root);
  }

  async readTags(): Promise<Tags> {
    try {
      return JSON.parse(await readFile(this.layout.tagsFile, 'utf8')) as Tags;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return {};
      throw new RackerError(`cannot read ${this.layout.tagsFile}: ${(err as Error).message}`, { hint: 'the store may be damaged; remove the file to forget all tags' });
    }
  }

  /** Point `names` at image `id`, atomically and under the tags lock. */
  async tag(names: string[], id: string): Promise<void> {
    await withLock(this.layout.lock('tags'), async () => {
      const tags = await this.readTags();
      for (const n of names) tags[n] = id;
      await writeFileAtomic(this.layout.tagsFile, JSON.stringify(tags, null, 2), this.layout.tmpDir);
    });
  }

  async untag(names: string[]): Promise<void> {
    await withLock(this.layout.lock('tags'), async () => {
      const tags = await this.readTags();
      for (const n of names) delete tags[n];
      await writeFileAtomic(this.layout.tagsFile, JSON.stringify(tags, null, 2), this.layout.tmpDir);
    });
  }

  /**
   * The record of image `id`. Its config is checked as a pull checks it (an
   * image stored by an older racker may have an Env that is a string); pass
   * `{ check: false }` where the config is not used: listing, removing.
   */
  async readImage(id: string, opts: { check?: boolean } = {}): Promise<ImageRecord | undefined> {
    let rec: ImageRecord;
    try {
      rec = JSON.parse(await readFile(this.layout.imageRecord(id), 'utf8')) as ImageRecord;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
    const problem = opts.check === false ? undefined : imageConfigProblem(rec.config);
    if (problem) {
      throw new RackerError(`the config of image ${shortId(id)} is malformed: ${problem}`, { hint: `remove the image (racker rmi ${shortId(id)}) and pull it again` });
    }
    return rec;
  }

  async writeImage(rec: ImageRecord): Promise<void> {
    await writeFileAtomic(this.layout.imageRecord(rec.id), JSON.stringify(rec, null, 2), this.layout.tmpDir);
  }

  async listImages(): Promise<ImageRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.layout.imagesDir);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
    const out: ImageRecord[] = [];
    for (const n of names) {
      if (!/^[a-f0-9]{64}\.json$/.test(n)) continue;
      // unchecked: a malformed image must still be listed, kept from garbage collection and removable
      const rec = await this.readImage(`sha256:${n.slice(0, 64)}`, { check: false });
      if (rec) out.push(rec);
    }
    return out;
  }

  async readLayer(digest: string): Promise<LayerRecord | undefined> {
    try {
      return JSON.parse(await readFile(`${this.layout.layerDir(digest)}/layer.json`, 'utf8')) as LayerRecord;
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
      throw err;
    }
  }

  /**
   * Find an image by a name from tags.json (`names` first, in order, then
   * `nameOrId` itself), a full id, or an id prefix of at least 4 hex digits
   * (docker accepts short ids).
   */
  async find(nameOrId: string, names: string | string[] = [], opts: { check?: boolean } = {}): Promise<ImageRecord | undefined> {
    const tags = await this.readTags();
    const candidates = [...(typeof names === 'string' ? [names] : names), nameOrId];
    const byName = candidates.map(n => tags[n]).find(id => id !== undefined);
    if (byName) return this.readImage(byName, opts);
    const hex = nameOrId.replace(/^sha256:/, '');
    if (/^[a-f0-9]{4,64}$/.test(hex)) {
      const matches = (await this.listImages()).filter(r => r.id.slice(7).startsWith(hex));
      if (matches.length > 1) throw new RackerError(`image id prefix '${hex}' is ambiguous`, { hint: 'give more digits' });
      return matches[0] && this.readImage(matches[0].id, opts);
    }
    // a pull by digest is remembered as repository@digest
    const byDigest = (await this.listImages()).find(r => candidates.some(n => r.repoDigests.includes(n)));
    return byDigest && this.readImage(byDigest.id, opts);
  }

  namesOf(tags: Tags, id: string): string[] {
    return Object.keys(tags).filter(n => tags[n] === id).sort();
  }

  /** Remove an image record and then every layer no remaining image uses. */
  async removeImage(id: string, keepLayers: Set<string> = new Set()): Promise<string[]> {
    return withLock(this.layout.lock('gc'), async () => {
      await rm(this.layout.imageRecord(id), { force: true });
      return this.collectGarbage(keepLayers);
    });
  }

  /** Delete unreferenced layers and blobs. Caller holds the gc lock. */
  private async collectGarbage(keepLayers: Set<string>): Promise<string[]> {
    const images = await this.listImages();
    const usedLayers = new Set([...images.flatMap(i => i.layers), ...keepLayers]);
    // layer blobs are kept under their digest (a layer listed twice has its digest among the keys before)
    const usedBlobs = new Set(images.flatMap(i => [i.id, i.manifestDigest, i.manifestBlob ?? i.manifestDigest, ...i.layers]));
    const removed: string[] = [];
    for (const hex of await readdir(this.layout.layersDir).catch(() => [] as string[])) {
      const digest = `sha256:${hex}`;
      if (!/^[a-f0-9]{64}$/.test(hex) || usedLayers.has(digest)) continue;
      // rename first so a half-deleted layer is never mistaken for a whole one
      const trash = stagingName(this.layout.tmpDir, `trash-${hex.slice(0, 12)}`);
      await rename(this.layout.layerDir(digest), trash);
      await rm(trash, { recursive: true, force: true });
      removed.push(digest);
    }
    for (const hex of await readdir(this.layout.blobsDir).catch(() => [] as string[])) {
      if (/^[a-f0-9]{64}$/.test(hex) && !usedBlobs.has(`sha256:${hex}`)) await rm(`${this.layout.blobsDir}/${hex}`, { force: true });
    }
    return removed;
  }

  /** Run `fn` while no garbage collection can remove layers (used while pulling). */
  withGcLock<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(this.layout.lock('gc'), fn);
  }
}
