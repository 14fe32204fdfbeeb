import type { VolumeRecord, VolumeUsers } from '../model/volume.js';
import { treeSize, type VolumeStore } from '../store/volume-store.js';

/**
 * Named and anonymous volumes (`racker volume …`, compose's volumes): the
 * store's records and directories, and which containers use one. A volume a
 * container uses is not removed (not even with `force`, which only forgives
 * a missing name).
 */
export class VolumeService {
  constructor(private readonly store: VolumeStore, private readonly usersOf: VolumeUsers) {}

  /** A volume, or the existing one of that name (kept as it is: docker's rule); no name: 64 random hex digits. */
  async create(opts: { name?: string; labels?: Record<string, string>; anonymous?: boolean } = {}): Promise<{ volume: VolumeRecord; created: boolean }> {
    return this.store.create(opts);
  }

  async find(name: string): Promise<VolumeRecord | undefined> {
    return this.store.find(name);
  }

  /** By name; "No such volume" when there is none. */
  async get(name: string): Promise<VolumeRecord> {
    return this.store.get(name);
  }

  /** Every volume, by name. */
  async list(): Promise<VolumeRecord[]> {
    return this.store.list();
  }

  /** The names of the containers (running or not) that mount the volume. */
  async users(name: string): Promise<string[]> {
    return this.usersOf(name);
  }

  /** Bytes of the volume's data. */
  async size(name: string): Promise<number> {
    return treeSize(this.store.dataDir(name));
  }

  /** Remove a volume no container uses; false when it did not exist and `force` was given. */
  async remove(name: string, opts: { force?: boolean } = {}): Promise<boolean> {
    return this.store.remove(name, opts);
  }

  /** Unused anonymous volumes (with `all`: every unused volume) that `matches` lets through, removed; their names and the bytes freed. */
  async prune(opts: { all?: boolean; matches?: (v: VolumeRecord) => boolean } = {}): Promise<{ removed: string[]; bytes: number }> {
    return this.store.prune(opts);
  }
}
