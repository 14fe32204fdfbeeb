import { RackerError } from '../errors.js';
import { warn } from '../log.js';
import { parseIp } from '../network/cidr.js';
import { type NetworkSpec, type PublishedPort, validateNetworkName } from '../model/network.js';
import { DEFAULT_NETWORK } from './container-network.js';

/** How a caller says where a container's network is (racker run's flags, a compose service). */
export interface NetworkInput {
  /** host (default) | none | bridge | NAME | container:NAME */
  network?: string;
  /** more networks, or the one above with aliases and an address (compose's networks:) */
  networks?: { name: string; aliases?: string[]; ip?: string }[];
  /** --network-alias for the (first) network */
  aliases?: string[];
  /** --ip on the (first) network */
  ip?: string;
  publish?: PublishedPort[];
  publishAll?: boolean;
  dns?: string[];
  /** --add-host NAME:IP */
  addHosts?: string[];
  /** [NAME, IP] pairs already split (compose's extra_hosts), checked as --add-host */
  hosts?: [string, string][];
}

function checkHost(name: string, ip: string, shown: string): { ip: string; names: string[] } {
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(name) || parseIp(ip) === undefined) {
    throw new RackerError(`invalid --add-host '${shown.slice(0, 80)}'`, { hint: 'use NAME:IPv4, e.g. --add-host db.local:10.0.0.5' });
  }
  return { ip, names: [name] };
}

function parseAddHost(value: string): { ip: string; names: string[] } {
  const at = value.lastIndexOf(':');
  return checkHost(at <= 0 ? '' : value.slice(0, at), value.slice(at + 1), value);
}

/**
 * The network part of a container's spec, checked: docker's modes, -p only
 * where there is a private network (the host's network: dropped with a
 * warning, as docker does), `-p` alone puts the container on racker's default
 * network. undefined: the host's network with nothing to add.
 */
export function networkSpecFor(input: NetworkInput, opts: { quiet?: boolean } = {}): NetworkSpec | undefined {
  const dns = input.dns ?? [];
  for (const d of dns) if (parseIp(d) === undefined) throw new RackerError(`invalid --dns '${d.slice(0, 40)}'`, { hint: 'an IPv4 address, e.g. --dns 9.9.9.9' });
  const addHosts = [...(input.addHosts ?? []).map(parseAddHost), ...(input.hosts ?? []).map(([name, ip]) => checkHost(name, ip, `${name}:${ip}`))];
  let publish = input.publish ?? [];
  const publishAll = !!input.publishAll;
  const given = input.network;
  const container = given?.startsWith('container:') ? given.slice('container:'.length) : undefined;
  const mode: NetworkSpec['mode'] = container !== undefined ? 'container'
    : given === 'host' ? 'host' : given === 'none' ? 'none'
      : given !== undefined || input.networks?.length || publish.length || publishAll ? 'bridge' : 'host';
  if (mode !== 'bridge' && (input.ip !== undefined || input.aliases?.length || input.networks?.length)) {
    throw new RackerError(`--ip and --network-alias need a private network, not --network ${given}`, { hint: 'use --network NAME (racker network create NAME) or leave --network out' });
  }
  if ((mode === 'none' || mode === 'container') && (publish.length || publishAll)) {
    throw new RackerError(`conflicting options: port publishing and --network ${given}`, { hint: 'publish ports from a container on a private network' });
  }
  if (mode === 'host' && (publish.length || publishAll)) {
    if (!opts.quiet) warn('published ports are discarded when using the host network (the container\'s ports are the host\'s)');
    publish = [];
  }
  if (mode === 'container' && !container) throw new RackerError('--network container: needs a container name', { hint: 'e.g. --network container:web' });
  const networks: NetworkSpec['networks'] = [];
  if (mode === 'bridge') {
    const first = given === undefined || given === 'bridge' ? DEFAULT_NETWORK : given;
    if (input.networks?.length) {
      networks.push(...input.networks.map(n => ({ name: n.name === 'bridge' ? DEFAULT_NETWORK : n.name, aliases: n.aliases ?? [], ip: n.ip })));
    }
    if (given !== undefined || !input.networks?.length) networks.unshift({ name: first, aliases: input.aliases ?? [], ip: input.ip });
    for (const n of networks) if (n.name !== DEFAULT_NETWORK) validateNetworkName(n.name);
    const names = networks.map(n => n.name);
    if (new Set(names).size !== names.length) throw new RackerError(`a network is named twice: ${names.join(', ')}`);
  }
  if (mode === 'host' && !dns.length && !addHosts.length) return undefined;
  return { mode, networks, container, publish, publishAll: mode === 'bridge' && publishAll, dns, addHosts };
}
