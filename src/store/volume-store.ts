import { lstat, mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { RackerError, isErrno } from '../errors.js';
import { shown } from '../untrusted.js';
import { stagingName, writeFileAtomic } from '../atomic.js';
import { withLock } from '../lock.js';
import type { StoreLayout } from './layout.js';
import { isValidVolumeName, randomVolumeName, VOLUME_NAME_RULE } from '../model/volume-names.js';
import { ANONYMOUS_LABEL, type VolumeRecord, type VolumeUsers } from '../model/volume.js';

export function volumeNotFound(name: string): RackerError {
  return new RackerError(`No such volume: ${shown(name, 80)}`, { hint: 'racker volume ls lists volumes' });
}

function checkName(name: string): void {
  if (!isValidVolumeName(name)) {
    throw new RackerError(`invalid volume name '${shown(name, 80)}': only ${VOLUME_NAME_RULE} are allowed`, { hint: 'start with a letter or digit; at least 2 characters' });
  }
}

/**
 * Named volumes, as docker's local driver keeps them:
 *   <root>/volumes/<name>/_data         the data (what containers mount)
 *   <root>/volumes/<name>/volume.json   this record
 * A volume is made in tmp/ and renamed into place, under the store's
 * "volumes" lock, so it is either there whole or not at all.
 */
export class VolumeStore {
  constructor(private readonly layout: StoreLayout, private readonly users: VolumeUsers = () => []) {}

  get root(): string { return path.resolve(this.layout.root, 'volumes'); }

  dir(name: string): string {
    checkName(name);
    return path.join(this.root, name);
  }

  /** The directory a container mounts. */
  dataDir(name: string): string { return path.join(this.dir(name), '_data'); }

  private lock(): string { return this.layout.lock('volumes'); }

  private async ensure(): Promise<void> {
    await this.layout.ensure();
    await mkdir(this.root, { recursive: true, mode: 0o700 });
  }

  async find(name: string): Promise<VolumeRecord | undefined> {
    try {
      const rec = JSON.parse(await readFile(path.join(this.dir(name), 'volume.json'), 'utf8')) as VolumeRecord;
      return rec.Name === name ? rec : undefined;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  async get(name: string): Promise<VolumeRecord> {
    if (!isValidVolumeName(name)) throw volumeNotFound(name);
    const rec = await this.find(name);
    if (!rec) throw volumeNotFound(name);
    return rec;
  }

  async list(): Promise<VolumeRecord[]> {
    const names = await readdir(this.root).catch(err => {
      if (isErrno(err, 'ENOENT')) return [] as string[];
      throw err;
    });
    const out: VolumeRecord[] = [];
    for (const name of names.sort()) {
      if (!isValidVolumeName(name)) continue;
      const rec = await this.find(name);
      if (rec) out.push(rec);
    }
    return out;
  }

  /**
   * Create a volume, or return the one of that name (as docker: creating an
   * existing name is not an error, and keeps its labels). Without a name, or
   * with `anonymous`, the name is 64 random hex digits.
   */
  async create(opts: { name?: string; labels?: Record<string, string>; anonymous?: boolean } = {}): Promise<{ volume: VolumeRecord; created: boolean }> {
    if (opts.name !== undefined) checkName(opts.name);
    await this.ensure();
    return withLock(this.lock(), async () => {
      const name = opts.name ?? randomVolumeName();
      const existing = await this.find(name);
      if (existing) return { volume: existing, created: false };
      const labels = { ...opts.labels ?? {}, ...opts.anonymous ? { [ANONYMOUS_LABEL]: '' } : {} };
      const volume: VolumeRecord = {
        Name: name, Driver: 'local', Mountpoint: path.join(this.root, name, '_data'),
        CreatedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), Labels: labels, Options: {}, Anonymous: !!opts.anonymous,
      };
      const stage = stagingName(this.layout.tmpDir, 'volume');
      try {
        await mkdir(path.join(stage, '_data'), { recursive: true, mode: 0o755 });
        await writeFileAtomic(path.join(stage, 'volume.json'), JSON.stringify(volume, null, 2));
        await rename(stage, this.dir(name));
      } catch (err) {
        await rm(stage, { recursive: true, force: true });
        // a leftover directory without volume.json (a kill -9 mid-remove): say so rather than overwrite it
        if (isErrno(err, 'ENOTEMPTY') || isErrno(err, 'EEXIST')) {
          throw new RackerError(`${this.dir(name)} exists but is not a volume`, { hint: 'move it away or remove it, then try again' });
        }
        throw err;
      }
      return { volume, created: true };
    });
  }

  /** The containers using `name`, or an error saying which one does. */
  private async refuseIfUsed(name: string): Promise<void> {
    const users = await this.users(name);
    if (users.length) {
      throw new RackerError(`remove ${name}: volume is in use - [${users.map(u => shown(u, 80)).join(', ')}]`, { hint: `remove the container first (racker rm ${shown(users[0], 80)})` });
    }
  }

  /** Remove a volume no container uses; `force` makes a missing one not an error (as docker's rm -f). Returns whether it was there. */
  async remove(name: string, opts: { force?: boolean } = {}): Promise<boolean> {
    if (!isValidVolumeName(name)) {
      if (opts.force) return false;
      throw volumeNotFound(name);
    }
    await this.ensure();
    return withLock(this.lock(), async () => {
      if (!await this.find(name)) {
        if (opts.force) return false;
        throw volumeNotFound(name);
      }
      await this.refuseIfUsed(name);
      await this.drop(name);
      return true;
    });
  }

  /** Gone at once (renamed into tmp/), then deleted; a kill -9 in between leaves only a tmp/ entry the next pull sweeps. */
  private async drop(name: string): Promise<void> {
    const trash = stagingName(this.layout.tmpDir, 'volume-rm');
    await rename(this.dir(name), trash);
    await rm(trash, { recursive: true, force: true });
  }

  /**
   * docker 23's `volume prune`: the unused anonymous volumes, or with `all`
   * every unused one, of those `matches` lets through (prune filters).
   * Returns the names removed and the bytes they held.
   */
  async prune(opts: { all?: boolean; matches?: (v: VolumeRecord) => boolean } = {}): Promise<{ removed: string[]; bytes: number }> {
    await this.ensure();
    return withLock(this.lock(), async () => {
      const removed: string[] = [];
      let bytes = 0;
      for (const v of await this.list()) {
        if (!opts.all && !v.Anonymous) continue;
        if (opts.matches && !opts.matches(v)) continue;
        if ((await this.users(v.Name)).length) continue;
        bytes += await treeSize(this.dataDir(v.Name));
        await this.drop(v.Name);
        removed.push(v.Name);
      }
      return { removed, bytes };
    });
  }
}

/** Bytes of the regular files under `dir` (symlinks not followed). */
export async function treeSize(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await treeSize(p);
    else if (e.isFile()) total += (await lstat(p).catch(() => ({ size: 0 }))).size;
  }
  return total;
}
