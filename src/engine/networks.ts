import type { NetworkRecord } from '../model/network.js';
import type { CreateOptions, NetworkManager } from '../network/manager.js';

export type NetworkCreateOptions = CreateOptions;

/**
 * Private networks (`racker network …`, compose's networks, postroj's probe
 * networks): bridges with NAT, names and published ports. What containers do
 * on them (attach, publish, release) is the container service's business,
 * through the runners.
 */
export class NetworkService {
  constructor(private readonly manager: NetworkManager) {}

  /** A new network; refused when the name is taken or the subnet overlaps another. */
  async create(opts: NetworkCreateOptions): Promise<NetworkRecord> {
    return this.manager.create(opts);
  }

  /** By exact name; undefined when there is none. */
  async find(name: string): Promise<NetworkRecord | undefined> {
    return this.manager.store.get(name);
  }

  async list(): Promise<NetworkRecord[]> {
    return this.manager.list();
  }

  /** docker's `network inspect` object, by name or id. */
  async inspect(ref: string): Promise<Record<string, unknown>> {
    return this.manager.inspect(ref);
  }

  /** Remove a network by name or id; refused while a container is attached. */
  async remove(ref: string): Promise<NetworkRecord> {
    return this.manager.remove(ref);
  }

  /** Every network no container uses, removed; their names. */
  async prune(): Promise<string[]> {
    return this.manager.prune();
  }
}
