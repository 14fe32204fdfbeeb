import { randomHex } from '../random.js';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { RackerError, isErrno } from '../errors.js';
import { writeFileAtomic } from '../atomic.js';
import { withLock } from '../lock.js';
import { NETWORK_NAME, type NetworkRecord, type PortSpec } from '../model/network.js';
import { bridgeName as bridgeOf } from './links.js';

/**
 * Networks on disk, under the store root:
 *   networks/<name>.json          the network (written once, atomically)
 *   networks/<name>.leases.json   who is attached: address, names, ports
 *   networks/netns/<id>           a namespace racker made for container <id>
 *   networks/creating/<id>        a network being created: its bridge may exist before its record does
 *   networks/.lock                held while any of these change
 */
export interface Lease {
  containerId: string;
  /** the container's name, for the other containers' /etc/hosts */
  name: string;
  hostname?: string;
  aliases: string[];
  ip: string;
  netns: string;
  /** host end of the veth pair */
  veth: string;
  /** the interface inside the namespace (eth0, eth1, …) */
  ifname: string;
  ports: PortSpec[];
}

export type Leases = Record<string, Lease>;

export class NetworkStore {
  constructor(readonly root: string) {}

  get dir(): string { return path.join(this.root, 'networks'); }
  get netnsDir(): string { return path.join(this.dir, 'netns'); }
  record(name: string): string { return path.join(this.dir, `${name}.json`); }
  leasesFile(name: string): string { return path.join(this.dir, `${name}.leases.json`); }

  async ensure(): Promise<void> {
    await mkdir(this.netnsDir, { recursive: true, mode: 0o700 });
  }

  /** Everything that changes networks, leases or namespaces runs under this one lock. */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    await this.ensure();
    return withLock(path.join(this.dir, '.lock'), fn);
  }

  async get(name: string): Promise<NetworkRecord | undefined> {
    if (!NETWORK_NAME.test(name)) return undefined;
    try {
      return JSON.parse(await readFile(this.record(name), 'utf8')) as NetworkRecord;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw new RackerError(`network record ${this.record(name)} is unreadable`, { hint: 'remove the file if the network is gone', cause: err });
    }
  }

  async mustGet(name: string): Promise<NetworkRecord> {
    const n = await this.get(name);
    if (!n) throw new RackerError(`No such network: ${name.slice(0, 80)}`, { hint: 'racker network ls lists the networks' });
    return n;
  }

  async list(): Promise<NetworkRecord[]> {
    const names = (await readdir(this.dir).catch(() => [] as string[]))
      .filter(f => f.endsWith('.json') && !f.endsWith('.leases.json')).map(f => f.slice(0, -5));
    const out: NetworkRecord[] = [];
    for (const n of names.sort()) { const r = await this.get(n); if (r) out.push(r); }
    return out;
  }

  /** A network by name, full id or unique id prefix, as docker takes them. */
  async find(ref: string): Promise<NetworkRecord | undefined> {
    const byName = await this.get(ref);
    if (byName) return byName;
    if (!/^[0-9a-f]{3,64}$/.test(ref)) return undefined;
    const hits = (await this.list()).filter(n => n.id.startsWith(ref));
    return hits.length === 1 ? hits[0] : undefined;
  }

  async write(n: NetworkRecord): Promise<void> {
    await writeFileAtomic(this.record(n.name), JSON.stringify(n, null, 2) + '\n');
  }

  async leases(name: string): Promise<Leases> {
    try {
      return JSON.parse(await readFile(this.leasesFile(name), 'utf8')) as Leases;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return {};
      // a lease file cut short by a host crash (they are written without fsync): no container outlived that
      if (err instanceof SyntaxError) return {};
      throw err;
    }
  }

  /**
   * Leases and namespace marks are written without fsync (several ms per
   * start on a busy disk): they describe veths, namespaces and containers
   * that a host crash ends anyway.
   */
  async writeLeases(name: string, leases: Leases): Promise<void> {
    const file = this.leasesFile(name);
    if (Object.keys(leases).length === 0) await rm(file, { force: true });
    else await writeFileAtomic(file, JSON.stringify(leases, null, 2) + '\n', path.dirname(file), { durable: false });
  }

  async remove(name: string): Promise<void> {
    await rm(this.leasesFile(name), { force: true });
    await rm(this.record(name), { force: true });
  }

  /** Namespaces this root made, by container id. */
  async namespaces(): Promise<string[]> {
    return (await readdir(this.netnsDir).catch(() => [] as string[])).filter(f => /^[0-9a-f]{12,64}$/.test(f));
  }

  get creatingDir(): string { return path.join(this.dir, 'creating'); }

  /** Before create makes anything on the host; removed once the record is written. */
  async markCreating(n: CreateIntent): Promise<void> {
    await mkdir(this.creatingDir, { recursive: true, mode: 0o700 });
    // not fsynced: the bridge it names does not outlive a host crash either
    await writeFileAtomic(path.join(this.creatingDir, n.id), JSON.stringify({ name: n.name, id: n.id, bridge: n.bridge }) + '\n', this.creatingDir, { durable: false });
  }

  /** Creations that have not finished; under the lock, their creator is gone. */
  async creating(): Promise<CreateIntent[]> {
    const out: CreateIntent[] = [];
    for (const f of (await readdir(this.creatingDir).catch(() => [] as string[])).filter(f => /^[0-9a-f]{32,64}$/.test(f))) {
      const text = await readFile(path.join(this.creatingDir, f), 'utf8').catch(() => '');
      let n: Partial<CreateIntent> = {};
      try { n = JSON.parse(text) as Partial<CreateIntent>; } catch { /* cut short: its id is the file name */ }
      out.push({ name: typeof n.name === 'string' ? n.name : '', id: f, bridge: bridgeOf(f) });
    }
    return out;
  }

  async unmarkCreating(id: string): Promise<void> {
    await rm(path.join(this.creatingDir, id), { force: true });
  }

  async markNamespace(containerId: string, netns: string): Promise<void> {
    await writeFileAtomic(path.join(this.netnsDir, containerId), netns + '\n', this.netnsDir, { durable: false });
  }

  async unmarkNamespace(containerId: string): Promise<void> {
    await rm(path.join(this.netnsDir, containerId), { force: true });
  }
}

/** What `network create` may have made before the record: enough to remove it. */
export type CreateIntent = Pick<NetworkRecord, 'name' | 'id' | 'bridge'>;

export function newNetworkId(): string {
  return randomHex(32);
}
