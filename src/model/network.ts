import { RackerError } from '../errors.js';

/** A container's networking as its spec keeps it, and a network as `network ls/inspect` shows it. */

/** docker's -p: traffic to hostIp:hostPort goes to the container's containerPort. */
export interface PublishedPort { hostIp?: string; hostPort: number; containerPort: number; protocol: 'tcp' | 'udp' }

export interface NetworkSpec {
  /** host: the host's; none: only lo; bridge: private networks; container: another container's */
  mode: 'host' | 'none' | 'bridge' | 'container';
  /** bridge mode: the networks, the first one routes to the outside */
  networks: { name: string; aliases: string[]; ip?: string }[];
  /** container mode: the other container's id */
  container?: string;
  publish: PublishedPort[];
  /** -P: every port the image EXPOSEs, to free host ports */
  publishAll: boolean;
  dns: string[];
  /** --add-host NAME:IP */
  addHosts: { ip: string; names: string[] }[];
}

/** One published port: traffic to hostIp:hostPort goes to the container's containerPort. */
export interface PortSpec {
  /** undefined: every local address of the host, 127.0.0.1 included */
  hostIp?: string;
  /** 0: racker picks a free one when publishing */
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

/** A private network (a bridge): its record, as `network ls` lists it. */
export interface NetworkRecord {
  name: string;
  id: string;
  subnet: string;
  gateway: string;
  bridge: string;
  internal: boolean;
  labels: Record<string, string>;
  created: string;
}

/** docker's rule for network names; also keeps them safe as file names */
export const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;
export const RESERVED = ['host', 'none', 'bridge', 'default'];

export function validateNetworkName(name: string): void {
  if (!NETWORK_NAME.test(name) || name.endsWith('.leases')) {
    throw new RackerError(`invalid network name '${name.slice(0, 80)}'`, { hint: 'letters, digits, _ . - (not first), at most 64 characters, not ending in .leases' });
  }
}
