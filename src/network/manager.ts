import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { RackerError } from '../errors.js';
import { settleAll } from '../settle.js';
import { withLock } from '../lock.js';
import { contains, formatCidr, formatIp, hostAddresses, parseCidr, parseIp, parseUserSubnet, pickSubnet, takenFromIp, type Cidr } from './cidr.js';
import { enableForwarding, forwardAccept, forwardRemove, portTable } from './firewall.js';
import { applyNetwork, applyPorts, networkPresent, removeNetwork, removePorts } from './rules.js';
import { hostsContent, type HostsEntry } from '../runtime/hosts-resolv.js';
import { containerResolvConf } from './resolv-conf.js';
import { bridgeName, createNetns, deleteLink, deleteNetns, ensureBridge, ipJson, linkExists, netnsName, netnsPath, plugVeth, unplug, vethName } from './links.js';
import { markUp, markedUp, unmarkUp } from './up-marker.js';
import { type NetworkRecord, type PortSpec, RESERVED, validateNetworkName } from '../model/network.js';
import { PortClaims, claimablePorts } from './port-claims.js';
import { type Lease, type Leases, NetworkStore, newNetworkId } from './store.js';

export interface CreateOptions { name: string; subnet?: string; gateway?: string; internal?: boolean; labels?: Record<string, string> }

export interface AttachOptions {
  /** the container's name: what the other containers resolve */
  name: string;
  hostname?: string;
  aliases?: string[];
  /** a fixed address in the network's subnet (--ip) */
  ip?: string;
}

export interface AttachResult {
  /** give nspawn --network-namespace-path=<this> */
  netnsPath: string;
  ip: string;
  ifname: string;
}

export interface ManagerOptions {
  /** store root: networks/ lives under it */
  root: string;
  /** host-wide state shared by every store root (port claims, the subnet lock); default /run/racker */
  runDir?: string;
  /** the host's resolv.conf, read for the containers' nameservers */
  resolvConf?: string;
  /**
   * Called with a container's new /etc/hosts after a peer joined or left one
   * of its networks; the engine writes racker's own copy, which is bind-mounted
   * into the container (runtime/etc-files.ts). Not called for the container being attached or detached.
   */
  onHostsChanged?: (containerId: string, hosts: string) => Promise<void>;
}

/**
 * The network library the engine calls. Before nspawn starts: attach() (or
 * isolate() for --network none), publish(); after the container is gone:
 * release(). reap() removes what dead containers left.
 */
export class NetworkManager {
  readonly store: NetworkStore;
  private readonly runDir: string;
  private readonly ports: PortClaims;

  constructor(private readonly opts: ManagerOptions) {
    this.store = new NetworkStore(opts.root);
    this.runDir = opts.runDir ?? '/run/racker';
    this.ports = new PortClaims(this.runDir);
  }

  private hostLocked<T>(fn: () => Promise<T>): Promise<T> {
    return mkdir(path.join(this.runDir, 'ports'), { recursive: true, mode: 0o700 })
      .then(() => withLock(path.join(this.runDir, 'network.lock'), fn));
  }

  // ---- networks ---------------------------------------------------------

  async create(o: CreateOptions): Promise<NetworkRecord> {
    validateNetworkName(o.name);
    if (RESERVED.includes(o.name)) throw new RackerError(`network name '${o.name}' is reserved`, { hint: `choose another name; ${RESERVED.join(', ')} are racker's own` });
    for (const [k] of Object.entries(o.labels ?? {})) if (!k) throw new RackerError('empty label key', { hint: 'use --label key=value' });
    return this.store.locked(() => this.hostLocked(async () => {
      await this.reapUnfinished();
      if (await this.store.get(o.name)) throw new RackerError(`network with name ${o.name} already exists`, { hint: 'racker network rm it first, or pick another name' });
      const taken = [...takenFromIp(await ipJson(['route']), await ipJson(['addr'])), ...(await this.store.list()).map(n => parseCidr(n.subnet)!)];
      let subnet: Cidr | undefined;
      if (o.subnet !== undefined) {
        subnet = parseUserSubnet(o.subnet);
        const clash = taken.find(t => t.prefix > 0 && (contains(t, subnet!.base) || contains(subnet!, t.base)));
        if (clash) throw new RackerError(`subnet ${formatCidr(subnet)} overlaps ${formatCidr(clash)}, already used on this host`, { hint: 'pick another --subnet (ip route shows what is in use)' });
      } else {
        subnet = pickSubnet(taken);
        if (!subnet) throw new RackerError('no free subnet left in 10.89.0.0/16', { hint: 'remove unused networks (racker network prune) or give --subnet' });
      }
      let gateway = subnet.base + 1;
      if (o.gateway !== undefined) {
        const g = parseIp(o.gateway);
        if (g === undefined || !contains(subnet, g) || g === subnet.base || g === subnet.base + 2 ** (32 - subnet.prefix) - 1) {
          throw new RackerError(`invalid gateway '${o.gateway.slice(0, 40)}' for subnet ${formatCidr(subnet)}`, { hint: 'an address inside the subnet, not its first or last' });
        }
        gateway = g;
      }
      const id = newNetworkId();
      const record: NetworkRecord = {
        name: o.name, id, subnet: formatCidr(subnet), gateway: formatIp(gateway), bridge: bridgeName(id),
        internal: !!o.internal, labels: o.labels ?? {}, created: new Date().toISOString(),
      };
      // the intent first: a create killed before its record leaves a bridge (holding its subnet) that the next
      // create, rm or prune of this store removes; the bridge holds the subnet from now on, so the next pick sees it
      await this.store.markCreating(record);
      await this.up(record);
      await this.store.write(record);
      await this.store.unmarkCreating(id);
      return record;
    }));
  }

  /** Bridge, rules and forwarding for a network; again after a reboot. */
  private async up(n: NetworkRecord): Promise<void> {
    const c = parseCidr(n.subnet)!;
    await enableForwarding(); // first: the bridges it opens FORWARD for are the ones there before this one
    await ensureBridge(n.bridge, n.gateway, c.prefix);
    await applyNetwork(n, `set up the firewall rules of network ${n.name}`);
    await forwardAccept(n.bridge, n.internal);
  }

  /**
   * up() unless the bridge and its table are there. Usually neither is asked:
   * the marker (up-marker.ts) says so without a process.
   */
  private async ensureUp(n: NetworkRecord): Promise<void> {
    if (await markedUp(this.runDir, n.id, n.bridge)) return;
    if (!await linkExists(n.bridge) || !await networkPresent(n.id)) await this.up(n);
    await markUp(this.runDir, n.id, n.bridge);
  }

  private async down(n: Pick<NetworkRecord, 'id' | 'bridge'>): Promise<void> {
    await unmarkUp(this.runDir, n.id);
    await removeNetwork(n.id);
    await forwardRemove(n.bridge);
    await deleteLink(n.bridge);
  }

  /**
   * What creates that died left (their intent without a record, found under
   * the lock their creator held): bridge, rules, marker. Idempotent.
   */
  private async reapUnfinished(): Promise<string[]> {
    const reaped: string[] = [];
    const pending = await this.store.creating();
    if (!pending.length) return reaped;
    const done = new Set((await this.store.list()).map(n => n.id));
    for (const n of pending) {
      if (!done.has(n.id)) { await this.down(n); reaped.push(n.bridge); }
      await this.store.unmarkCreating(n.id);
    }
    return reaped;
  }

  /** Remove a network; refused while a container is attached. */
  async remove(ref: string): Promise<NetworkRecord> {
    return this.store.locked(async () => {
      await this.reapUnfinished();
      const n = await this.store.find(ref);
      if (!n) throw new RackerError(`No such network: ${ref.slice(0, 80)}`, { hint: 'racker network ls lists the networks' });
      const users = Object.values(await this.store.leases(n.name));
      if (users.length) {
        throw new RackerError(`network ${n.name} is in use by container ${users[0].containerId.slice(0, 12)} (${users[0].name})`,
          { hint: `remove the container first (racker rm -f ${users[0].name})` });
      }
      await this.down(n);
      await this.store.remove(n.name);
      return n;
    });
  }

  /** Networks without containers, removed. */
  async prune(): Promise<string[]> {
    await this.store.locked(() => this.reapUnfinished());
    const removed: string[] = [];
    for (const n of await this.store.list()) {
      if (Object.keys(await this.store.leases(n.name)).length) continue;
      try { await this.remove(n.name); removed.push(n.name); } catch { /* attached meanwhile */ }
    }
    return removed;
  }

  async list(): Promise<NetworkRecord[]> { return this.store.list(); }

  /** docker's `network inspect` object. */
  async inspect(ref: string): Promise<Record<string, unknown>> {
    const n = await this.store.find(ref);
    if (!n) throw new RackerError(`No such network: ${ref.slice(0, 80)}`, { hint: 'racker network ls lists the networks' });
    const leases = await this.store.leases(n.name);
    const prefix = parseCidr(n.subnet)!.prefix;
    return {
      Name: n.name, Id: n.id, Created: n.created, Scope: 'local', Driver: 'bridge', EnableIPv6: false,
      IPAM: { Driver: 'default', Config: [{ Subnet: n.subnet, Gateway: n.gateway }] },
      Internal: n.internal,
      Containers: Object.fromEntries(Object.values(leases).map(l => [l.containerId, { Name: l.name, IPv4Address: `${l.ip}/${prefix}` }])),
      Options: { 'com.docker.network.bridge.name': n.bridge },
      Labels: n.labels,
    };
  }

  // ---- containers ---------------------------------------------------------

  /** --network none: a namespace with only lo. Also the first step of attach(). */
  async isolate(containerId: string): Promise<string> {
    checkId(containerId);
    return this.store.locked(() => this.isolateLocked(containerId));
  }

  private async isolateLocked(containerId: string): Promise<string> {
    const ns = netnsName(containerId);
    await this.store.markNamespace(containerId, ns); // first: a crash after this is found by reap()
    await createNetns(ns);
    return netnsPath(ns);
  }

  /** Put a container on a network, before nspawn starts. */
  async attach(networkName: string, containerId: string, o: AttachOptions): Promise<AttachResult> {
    checkId(containerId);
    for (const n of [o.name, ...(o.hostname ? [o.hostname] : []), ...(o.aliases ?? [])]) {
      // each goes on a line of the other containers' /etc/hosts
      if (!HOST_NAME.test(n)) throw new RackerError(`invalid network alias or name '${n.slice(0, 80)}'`, { hint: 'letters, digits, _ . - (not first), at most 253 characters' });
    }
    const changed = await this.store.locked(async () => {
      const n = await this.store.mustGet(networkName);
      const leases = await this.store.leases(n.name);
      if (leases[containerId]) throw new RackerError(`container ${o.name} is already on network ${n.name}`, { hint: 'detach it first' });
      const subnet = parseCidr(n.subnet)!;
      const gateway = parseIp(n.gateway)!;
      const used = new Set(Object.values(leases).map(l => l.ip));
      let ip: string | undefined;
      if (o.ip !== undefined) {
        const want = parseIp(o.ip);
        if (want === undefined || !contains(subnet, want) || want === gateway || want === subnet.base || want === subnet.base + 2 ** (32 - subnet.prefix) - 1) {
          throw new RackerError(`invalid --ip ${o.ip.slice(0, 40)} for network ${n.name} (${n.subnet})`, { hint: `an address in ${n.subnet} other than the gateway ${n.gateway}` });
        }
        if (used.has(o.ip)) throw new RackerError(`address ${o.ip} is already in use on network ${n.name}`, { hint: 'pick another --ip, or leave it out' });
        ip = o.ip;
      } else {
        for (const a of hostAddresses(subnet, gateway)) if (!used.has(formatIp(a))) { ip = formatIp(a); break; }
        if (!ip) throw new RackerError(`network ${n.name} has no free address left`, { hint: 'remove containers from it or create a network with a larger --subnet' });
      }
      const netns = netnsName(containerId);
      const [others] = await Promise.all([this.leasesOf(containerId), this.ensureUp(n)]);
      const present = others.map(([, l]) => l.ifname);
      let i = 0;
      while (present.includes(`eth${i}`)) i++;
      const lease: Lease = {
        containerId, name: o.name, hostname: o.hostname, aliases: o.aliases ?? [], ip, netns,
        veth: vethName(containerId, n.id), ifname: `eth${i}`, ports: [],
      };
      // the lease and the namespace mark first: a crash in the middle leaves something reap() and detach() know about
      await Promise.all([
        this.store.writeLeases(n.name, { ...leases, [containerId]: lease }),
        others.length === 0 ? this.store.markNamespace(containerId, netns) : undefined,
      ]);
      const firstRoute = !n.internal && !others.some(([net]) => net !== n.name);
      try {
        await plugVeth({ netns, createNs: others.length === 0, veth: lease.veth, ifname: lease.ifname, bridge: n.bridge, ip, prefix: subnet.prefix, gateway: firstRoute ? n.gateway : undefined });
      } catch (err) {
        // undo this attach, so a failed start leaves nothing; the next attach checks the network again
        await unmarkUp(this.runDir, n.id);
        await this.detachLocked(n.name, containerId);
        if (others.length === 0) { await deleteNetns(netns); await this.store.unmarkNamespace(containerId); }
        throw err;
      }
      return { lease, peers: Object.keys(leases) };
    });
    await this.notify(changed.peers);
    return { netnsPath: netnsPath(changed.lease.netns), ip: changed.lease.ip, ifname: changed.lease.ifname };
  }

  /** Take a container off one network. Harmless when it is not on it. */
  async detach(networkName: string, containerId: string): Promise<void> {
    const peers = await this.store.locked(() => this.detachLocked(networkName, containerId));
    await this.notify(peers);
  }

  private async detachLocked(networkName: string, containerId: string): Promise<string[]> {
    const leases = await this.store.leases(networkName);
    const lease = leases[containerId];
    if (!lease) return [];
    if (lease.ports.length) await this.unpublishLocked(containerId);
    await deleteLink(lease.veth);
    return this.dropLease(networkName, containerId, leases);
  }

  /** The container's lease on the network gone; the containers still on it. */
  private async dropLease(networkName: string, containerId: string, leases?: Leases): Promise<string[]> {
    const now = leases ?? await this.store.leases(networkName);
    delete now[containerId];
    await this.store.writeLeases(networkName, now);
    return Object.keys(now);
  }

  /**
   * Everything of a container, after it stopped or when it is removed: its
   * leases on every network, published ports, its namespace. Idempotent.
   */
  async release(containerId: string): Promise<void> {
    const peers = await this.store.locked(async () => {
      const mine = await this.leasesOf(containerId);
      // veths and namespace in one process (mostly the kernel's wait), beside the port rules' removal;
      // the leases and the namespace mark go after them, so a crash in between leaves what reap() finds
      await settleAll([unplug(netnsName(containerId), mine.map(([, l]) => l.veth)), this.unpublishLocked(containerId, mine)]);
      const touched: string[] = [];
      for (const [net] of mine) touched.push(...await this.dropLease(net, containerId));
      await this.store.unmarkNamespace(containerId);
      return [...new Set(touched)];
    });
    await this.notify(peers);
  }

  /**
   * Remove what dead containers left: leases, veths, port rules and
   * namespaces of every container `isAlive` says is not running.
   */
  async reap(isAlive: (containerId: string) => boolean | Promise<boolean>): Promise<string[]> {
    const ids = new Set(await this.store.namespaces());
    for (const n of await this.store.list()) for (const id of Object.keys(await this.store.leases(n.name))) ids.add(id);
    const reaped: string[] = [];
    for (const id of ids) {
      if (await isAlive(id)) continue;
      await this.release(id);
      reaped.push(id);
    }
    return reaped;
  }

  /** [network name, lease] for each network the container is on. */
  private async leasesOf(containerId: string): Promise<[string, Lease][]> {
    const out: [string, Lease][] = [];
    for (const n of await this.store.list()) {
      const l = (await this.store.leases(n.name))[containerId];
      if (l) out.push([n.name, l]);
    }
    return out;
  }

  // ---- names --------------------------------------------------------------

  /** /etc/hosts for a container: itself and everyone on its networks, plus --add-host entries. */
  async hostsFor(containerId: string, extra: HostsEntry[] = []): Promise<string> {
    const mine = await this.leasesOf(containerId);
    const peers: HostsEntry[] = [];
    for (const [net] of mine) {
      for (const l of Object.values(await this.store.leases(net))) {
        if (l.containerId !== containerId) peers.push({ ip: l.ip, names: namesOf(l) });
      }
    }
    const self = mine[0] ? { ip: mine[0][1].ip, names: namesOf(mine[0][1]) } : undefined;
    return hostsContent(self, peers, extra);
  }

  /** /etc/resolv.conf for a container on a private network. */
  resolvConfFor(dns: string[] = []): Promise<{ content: string; warning?: string }> {
    return containerResolvConf(dns, this.opts.resolvConf);
  }

  private async notify(containerIds: string[]): Promise<void> {
    if (!this.opts.onHostsChanged) return;
    for (const id of containerIds) await this.opts.onHostsChanged(id, await this.hostsFor(id));
  }

  // ---- published ports ----------------------------------------------------

  /**
   * DNAT host ports to the container's address on its first network, also
   * for 127.0.0.1. Host port 0 gets a free one. The resolved specs come back.
   * The same host port twice (any racker container on this host, or a
   * listening socket) is refused.
   */
  async publish(containerId: string, specs: PortSpec[]): Promise<PortSpec[]> {
    if (specs.length === 0) return [];
    return this.store.locked(async () => {
      const mine = await this.leasesOf(containerId);
      if (!mine.length) throw new RackerError('published ports need a private network', { hint: 'attach the container to a network before publishing' });
      const [netName, lease] = mine[0];
      const n = await this.store.mustGet(netName);
      return this.hostLocked(async () => {
        const resolved = await claimablePorts(specs, (await this.ports.live()).map(c => c.spec), lease.ports);
        const ports = [...lease.ports, ...resolved];
        const table = portTable(containerId);
        for (const p of resolved) await this.ports.write(p, table);
        await this.writeLease(netName, { ...lease, ports });
        await applyPorts({ containerId, bridge: n.bridge, ip: lease.ip, ports }, 'publish ports');
        return resolved;
      });
    });
  }

  async unpublish(containerId: string): Promise<void> {
    await this.store.locked(() => this.unpublishLocked(containerId));
  }

  private async unpublishLocked(containerId: string, leases?: [string, Lease][]): Promise<void> {
    const table = portTable(containerId);
    const mine = (await this.ports.all()).filter(c => c.table === table);
    const leased = (leases ?? await this.leasesOf(containerId)).filter(([, l]) => l.ports.length);
    // publish() writes the claims and the lease before the rules: without them there are no rules to remove,
    // and the firewall is not touched (a caller without CAP_NET_ADMIN, as in a container, could not)
    if (!mine.length && !leased.length) return;
    await removePorts(containerId);
    await this.hostLocked(async () => {
      for (const c of mine) await rm(c.file, { force: true });
    });
    for (const [net, l] of leased) await this.writeLease(net, { ...l, ports: [] });
  }

  private async writeLease(net: string, lease: Lease): Promise<void> {
    const leases = await this.store.leases(net);
    await this.store.writeLeases(net, { ...leases, [lease.containerId]: lease });
  }

}

function namesOf(l: Lease): string[] {
  return [l.name, ...(l.hostname && l.hostname !== l.name ? [l.hostname] : []), ...l.aliases];
}

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/;

function checkId(id: string): void {
  if (!/^[0-9a-f]{12,64}$/.test(id)) throw new RackerError(`invalid container id '${id.slice(0, 80)}'`, { hint: 'a hex container id' });
}
