import path from 'node:path';
import { RackerError } from '../errors.js';
import { warn } from '../log.js';
import { NetworkManager } from '../network/manager.js';
import { exposedPorts } from '../network/ports.js';
import type { ContainerRecord, ContainerStore, PublishedPort } from '../store/container-store.js';
import type { ImageRecord } from '../store/image-store.js';
import { isMounted } from './container-processes.js';
import { containerLeader } from './host.js';
import { writeFileInRoot } from './rootfs-path.js';

/** The network `-p` uses when no --network is given (`--network bridge` names it too): made on first use. */
export const DEFAULT_NETWORK = 'racker';

/** The engine's network manager for a store: peers' /etc/hosts are rewritten in their running roots. */
export function networkManager(root: string, containers: ContainerStore): NetworkManager {
  return new NetworkManager({
    root,
    onHostsChanged: async (id, hosts) => {
      const rootfs = path.join(containers.dir(id), 'rootfs');
      if (await isMounted(rootfs)) await writeFileInRoot(rootfs, '/etc/hosts', hosts);
    },
  });
}

export interface ConnectedNetwork {
  /** what systemd-nspawn needs to join it */
  nspawnArgs: string[];
  /** the host ports it got (-p with no host port, -P: picked now) */
  ports: PublishedPort[];
  /** undo everything connect() did; harmless to call twice */
  release(): Promise<void>;
}

const NOTHING: ConnectedNetwork = { nspawnArgs: [], ports: [], release: async () => {} };

function hostsText(hostname: string, extra: { ip: string; names: string[] }[]): string {
  return `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${hostname}\n${extra.map(e => `${e.ip}\t${e.names.join(' ')}\n`).join('')}`;
}

/**
 * Before nspawn starts: give the container the network its spec asks for —
 * a namespace of its own (none), a place on private networks with published
 * ports (bridge), another container's (container), or the host's — and write
 * its /etc/hosts and /etc/resolv.conf inside its root.
 */
export async function connectNetwork(manager: NetworkManager, containers: ContainerStore, rec: ContainerRecord,
  rootfs: string, image: ImageRecord, hostname: string): Promise<ConnectedNetwork> {
  const net = rec.spec.network;
  if (!net || net.mode === 'host') {
    if (net?.addHosts.length) await writeFileInRoot(rootfs, '/etc/hosts', hostsText(hostname, net.addHosts));
    if (net?.dns.length) await writeFileInRoot(rootfs, '/etc/resolv.conf', (await manager.resolvConfFor(net.dns)).content);
    return NOTHING;
  }
  if (net.mode === 'container') {
    const other = net.container ? await containers.read(net.container) : undefined;
    const leader = other?.state.status === 'running' && other.state.nspawnPid ? await containerLeader(other.state.nspawnPid) : undefined;
    if (!other || !leader) throw new RackerError(`container ${net.container?.slice(0, 12) ?? ''} whose network this one shares is not running`, { hint: 'start it first' });
    await writeFileInRoot(rootfs, '/etc/hosts', hostsText(hostname, net.addHosts));
    return { nspawnArgs: [`--network-namespace-path=/proc/${leader}/ns/net`], ports: [], release: async () => {} };
  }
  const release = () => manager.release(rec.id);
  try {
    let netnsPath: string;
    let ports: PublishedPort[] = [];
    if (net.mode === 'none') {
      netnsPath = await manager.isolate(rec.id);
      await writeFileInRoot(rootfs, '/etc/hosts', hostsText(hostname, net.addHosts));
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
      await writeFileInRoot(rootfs, '/etc/hosts', await manager.hostsFor(rec.id, net.addHosts));
    }
    const resolv = await manager.resolvConfFor(net.dns);
    if (resolv.warning) warn(resolv.warning);
    await writeFileInRoot(rootfs, '/etc/resolv.conf', resolv.content);
    return { nspawnArgs: [`--network-namespace-path=${netnsPath}`], ports, release };
  } catch (err) {
    await release().catch(() => undefined);
    throw err;
  }
}
