import { RackerError } from '../errors.js';
import { parseIp } from './cidr.js';
import { byText } from '../compare.js';
import type { PortSpec } from '../model/network.js';

function port(text: string, what: string, input: string, allowZero: boolean): number {
  const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n <= 65535 && (n > 0 || (allowZero && n === 0)))) {
    throw new RackerError(`invalid ${what} port '${text.slice(0, 20)}' in -p ${input.slice(0, 80)}`, { hint: 'ports are numbers from 1 to 65535; ranges are not supported' });
  }
  return n;
}

/** docker's -p [IP:][HOST:]CONTAINER[/tcp|udp]; a missing HOST port means "pick one". */
export function parsePublish(input: string): PortSpec {
  let rest = input;
  let protocol: 'tcp' | 'udp' = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const p = rest.slice(slash + 1);
    if (p !== 'tcp' && p !== 'udp') throw new RackerError(`invalid protocol '${p.slice(0, 20)}' in -p ${input.slice(0, 80)}`, { hint: 'tcp or udp, e.g. -p 8080:80/udp' });
    protocol = p;
    rest = rest.slice(0, slash);
  }
  const parts = rest.split(':');
  if (parts.length > 3 || rest === '') throw new RackerError(`invalid -p ${input.slice(0, 80)}`, { hint: 'use [IP:]HOST:CONTAINER[/tcp|udp], e.g. -p 127.0.0.1:8080:80' });
  const containerPort = port(parts[parts.length - 1], 'container', input, false);
  const hostPort = parts.length >= 2 && parts[parts.length - 2] !== '' ? port(parts[parts.length - 2], 'host', input, true) : 0;
  let hostIp: string | undefined;
  if (parts.length === 3 && parts[0] !== '' && parts[0] !== '0.0.0.0') {
    if (parseIp(parts[0]) === undefined) throw new RackerError(`invalid host address '${parts[0].slice(0, 40)}' in -p ${input.slice(0, 80)}`, { hint: 'an IPv4 address of this host, e.g. -p 127.0.0.1:8080:80' });
    hostIp = parts[0];
  }
  return { hostIp, hostPort, containerPort, protocol };
}

/** -P: every port the image EXPOSEs ("80/tcp" keys of its config's ExposedPorts), to free host ports. */
export function exposedPorts(exposed: Record<string, unknown> | undefined): PortSpec[] {
  const out: PortSpec[] = [];
  for (const key of Object.keys(exposed ?? {})) {
    const m = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(key);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) continue; // image-provided: ignore what is not a port
    out.push({ hostPort: 0, containerPort: Number(m[1]), protocol: (m[2] as 'tcp' | 'udp' | undefined) ?? 'tcp' });
  }
  return out.sort((a, b) => a.containerPort - b.containerPort || byText(a.protocol, b.protocol));
}

/** Two specs that would claim the same host socket. */
export function portsClash(a: PortSpec, b: PortSpec): boolean {
  return a.protocol === b.protocol && a.hostPort === b.hostPort && a.hostPort !== 0
    && (a.hostIp === undefined || b.hostIp === undefined || a.hostIp === b.hostIp);
}

export function formatPort(p: PortSpec): string {
  return `${p.hostIp ?? '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}`;
}
