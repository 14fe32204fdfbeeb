import { isIP } from 'node:net';
import { RackerError } from '../errors.js';
import { shown } from '../untrusted.js';

/**
 * docker's short port syntax, `[IP:][HOST:]CONTAINER[/PROTO]` with ranges
 * (`8000-8001:80-81`), read the same way for `racker run -p` and compose's
 * `ports:`; each caller decides what it supports of the result. Errors are
 * docker's texts (go-connections' ParsePortSpec).
 */

export interface PortSyntax {
  /** as written, brackets of an IPv6 address removed; undefined when not given */
  hostIp?: string;
  /** first and last host port; undefined when not given ("pick one") */
  hostPorts?: [number, number];
  containerPorts: [number, number];
  protocol: 'tcp' | 'udp';
}

const HINT = 'use [IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp], e.g. 127.0.0.1:8080:80 or 8000-8001:80-81';

/** "80" or "80-81" → [first, last]; undefined when it is not one (0 allowed only where `allowZero`). */
function portRange(s: string, allowZero: boolean): [number, number] | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(s);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a > 65535 || b > 65535 || b < a || (a === 0 && !(allowZero && b === 0))) return undefined;
  return [a, b];
}

/** docker's splitParts: the last part is the container's, the one before the host's, the rest the address. */
function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(':');
  const n = parts.length;
  if (n === 1) return ['', '', parts[0]];
  if (n === 2) return ['', parts[0], parts[1]];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2], parts[n - 1]];
}

export function parsePortSyntax(raw: string): PortSyntax {
  const fail = (message: string, hint = HINT): never => { throw new RackerError(message, { hint }); };
  let [ip, host, container] = splitParts(raw);
  let protocol = 'tcp';
  const slash = container.indexOf('/');
  if (slash >= 0) {
    if (container.slice(slash + 1) !== '') protocol = container.slice(slash + 1).toLowerCase();
    container = container.slice(0, slash);
  }
  if (ip.startsWith('[')) {
    if (!ip.endsWith(']')) fail(`invalid IP address ${shown(ip, 60)}: missing ']' in address`);
    ip = ip.slice(1, -1);
  }
  if (ip !== '' && isIP(ip) === 0) fail(`invalid IP address: ${shown(ip, 60)}`);
  if (container === '') fail(`no port specified: ${shown(raw, 80)}<empty>`);
  const containerPorts = portRange(container, false) ?? fail(`invalid containerPort: ${shown(container, 40)}`, 'ports are numbers from 1 to 65535, a range as 8000-8010');
  const hostPorts = host === '' ? undefined : portRange(host, true) ?? fail(`invalid hostPort: ${shown(host, 40)}`, 'ports are numbers from 1 to 65535, a range as 8000-8010');
  if (hostPorts && containerPorts[1] !== containerPorts[0] && hostPorts[1] - hostPorts[0] !== containerPorts[1] - containerPorts[0]) {
    fail(`invalid ranges specified for container and host Ports: ${container} and ${host}`, 'a host range as long as the container range');
  }
  if (protocol !== 'tcp' && protocol !== 'udp') fail(`invalid proto: ${shown(protocol, 20)}`, 'racker publishes tcp and udp ports');
  return { ...(ip !== '' ? { hostIp: ip } : {}), ...(hostPorts ? { hostPorts } : {}), containerPorts, protocol: protocol as 'tcp' | 'udp' };
}
