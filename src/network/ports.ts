import { RackerError } from '../errors.js';
import { parseIp } from './cidr.js';
import { byText } from '../compare.js';
import type { PortSpec } from '../model/network.js';
import { parsePortSyntax, type PortSyntax } from '../syntax/ports.js';

/**
 * docker's -p [IP:][HOST:]CONTAINER[/tcp|udp] (src/syntax/ports.ts reads it),
 * one spec per port of a range (8000-8001:80-81); a missing HOST port means
 * "pick one". A host range for one container port (docker picks a free one
 * of the range) is refused: racker publishes one given port or any free one.
 */
export function publishSpecs(input: string): PortSpec[] {
  let p: PortSyntax;
  try {
    p = parsePortSyntax(input);
  } catch (err) {
    if (err instanceof RackerError) throw new RackerError(`${err.message} (in -p ${input.slice(0, 80)})`, { hint: err.hint });
    throw err;
  }
  const [c0, c1] = p.containerPorts;
  if (p.hostPorts && c0 === c1 && p.hostPorts[0] !== p.hostPorts[1]) {
    throw new RackerError(`a host port range for one container port is not supported: -p ${input.slice(0, 80)}`, { hint: 'give one host port (-p 8080:80) or none to let racker pick a free one (-p 80)' });
  }
  let hostIp = p.hostIp === '0.0.0.0' ? undefined : p.hostIp;
  if (hostIp !== undefined && parseIp(hostIp) === undefined) {
    throw new RackerError(`invalid host address '${hostIp.slice(0, 40)}' in -p ${input.slice(0, 80)}`, { hint: 'an IPv4 address of this host, e.g. -p 127.0.0.1:8080:80' });
  }
  return Array.from({ length: c1 - c0 + 1 }, (_, i) => ({ hostIp, hostPort: p.hostPorts ? p.hostPorts[0] + i : 0, containerPort: c0 + i, protocol: p.protocol }));
}

/** One published port (publishSpecs for text that names one). */
export function parsePublish(input: string): PortSpec {
  const specs = publishSpecs(input);
  if (specs.length !== 1) throw new RackerError(`-p ${input.slice(0, 80)} names ${specs.length} ports, one was expected`);
  return specs[0];
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
