import { RackerError } from '../errors.js';
import { warn } from '../log.js';
import type { ManagerOptions, NetworkManager } from '../network/manager.js';
import { exposedPorts } from '../network/ports.js';
import { hostsContent, type HostsEntry } from '../runtime/hosts-resolv.js';
import type { ContainerStore } from '../store/container-store.js';
import type { ContainerRecord } from '../model/container.js';
import type { PublishedPort } from '../model/network.js';
import type { ImageRecord } from '../model/image.js';
import { containerLeader } from '../runtime/host.js';
import { writeEtcFile } from '../runtime/etc-files.js';
import type { ConnectedNetwork } from '../runtime/runner.js';

/** The network `-p` uses when no --network is given (`--network bridge` names it too): made on first use. */
export const DEFAULT_NETWORK = 'racker';

/**
 * The engine's network manager for a store: peers' /etc/hosts are rewritten in
 * their running roots. Its code (bridges, nft, leases) loads on its first call,
 * so a racker start that touches no network does not load it: every method,
 * and `store`'s, is async and forwarded.
 */
export function networkManager(root: string, containers: ContainerStore): NetworkManager {
  const opts: ManagerOptions = {
    root,
    // racker's own copy, bind-mounted into the container: never a path the running container controls
    onHostsChanged: async (id, hosts) => {
      // with its --add-host lines, which the manager does not know
      const extra = (await containers.read(id))?.spec.network?.addHosts ?? [];
      const text = extra.length ? await (await load()).hostsFor(id, extra) : hosts;
      await writeEtcFile(containers.dir(id), 'hosts', text, { create: false });
    },
  };
  let real: Promise<NetworkManager> | undefined;
  const load = (): Promise<NetworkManager> => (real ??= import('../network/manager.js').then(m => new m.NetworkManager(opts)));
  const forward = (pick: (m: NetworkManager) => object) => new Proxy({}, {
    get: (_t, prop) => (prop === 'then' ? undefined : (...args: unknown[]) => load().then(m => {
      const target = pick(m) as Record<PropertyKey, (...a: unknown[]) => unknown>;
      return target[prop].apply(target, args);
    })),
  });
  const store = forward(m => m.store);
  const manager = forward(m => m);
  return new Proxy(manager, { get: (t, prop) => (prop === 'store' ? store : Reflect.get(t, prop)) }) as NetworkManager;
}

/** /etc/hosts of a container without peers: localhost, itself, --add-host lines. */
function hostsText(hostname: string, extra: HostsEntry[]): string {
  return hostsContent({ ip: '127.0.1.1', names: [hostname] }, [], extra);
}

/**
 * Before nspawn starts: give the container the network its spec asks for —
 * a namespace of its own (none), a place on private networks with published
 * ports (bridge), another container's (container), or the host's. It needs
 * no root filesystem, so a runner may start it while the root is mounted;
 * writeFiles() then writes /etc/hosts and /etc/resolv.conf to racker's own
 * copies in the container's directory, which the runner bind-mounts.
 */
export async function connectNetwork(manager: NetworkManager, containers: ContainerStore, rec: ContainerRecord,
  image: ImageRecord, hostname: string): Promise<ConnectedNetwork> {
  const net = rec.spec.network;
  const nothing = async () => {};
  if (!net || net.mode === 'host') {
    const writeFiles = async (dir: string) => {
      if (net?.addHosts.length) await writeEtcFile(dir, 'hosts', hostsText(hostname, net.addHosts));
      if (net?.dns.length) await writeEtcFile(dir, 'resolv.conf', (await manager.resolvConfFor(net.dns)).content);
    };
    return { nspawnArgs: [], ownNamespace: false, ports: [], writeFiles, release: nothing };
  }
  if (net.mode === 'container') {
    const other = net.container ? await containers.read(net.container) : undefined;
    const leader = other?.state.status === 'running' && other.state.nspawnPid ? await containerLeader(other.state.nspawnPid) : undefined;
    if (!other || !leader) throw new RackerError(`container ${net.container?.slice(0, 12) ?? ''} whose network this one shares is not running`, { hint: 'start it first' });
    const writeFiles = (dir: string) => writeEtcFile(dir, 'hosts', hostsText(hostname, net.addHosts));
    const netns = `/proc/${leader}/ns/net`;
    return { nspawnArgs: [`--network-namespace-path=${netns}`], ownNamespace: true, netns, ports: [], writeFiles, release: nothing };
  }
  // once: app-run starts it as soon as nspawn is gone, the runner's clean-up waits for the same
  let releasing: Promise<void> | undefined;
  const release = () => (releasing ??= manager.release(rec.id));
  const writeFiles = async (dir: string) => {
    const hosts = net.mode === 'none' ? hostsText(hostname, net.addHosts) : await manager.hostsFor(rec.id, net.addHosts);
    await writeEtcFile(dir, 'hosts', hosts);
    const resolv = await manager.resolvConfFor(net.dns);
    if (resolv.warning) warn(resolv.warning);
    await writeEtcFile(dir, 'resolv.conf', resolv.content);
  };
  try {
    let netnsPath: string;
    let ports: PublishedPort[] = [];
    if (net.mode === 'none') {
      netnsPath = await manager.isolate(rec.id);
    } else {
      netnsPath = '';
      for (const n of net.networks) {
        if (n.name === DEFAULT_NETWORK && !await manager.store.get(DEFAULT_NETWORK)) {
          await manager.create({ name: DEFAULT_NETWORK }).catch(async err => {
            // created meanwhile by a container starting beside this one
            if (!await manager.store.get(DEFAULT_NETWORK)) throw err;
          });
        }
        netnsPath = (await manager.attach(n.name, rec.id, { name: rec.name, hostname, aliases: n.aliases, ip: n.ip })).netnsPath;
      }
      ports = await manager.publish(rec.id, [...net.publish, ...(net.publishAll ? exposedPorts(image.config.config?.ExposedPorts ?? undefined) : [])]);
    }
    return { nspawnArgs: [`--network-namespace-path=${netnsPath}`], ownNamespace: true, netns: netnsPath, ports, writeFiles, release };
  } catch (err) {
    await release().catch(() => undefined);
    throw err;
  }
}
