import { RackerError } from '../errors.js';

/** IPv4 arithmetic for subnets and leases: addresses as unsigned 32-bit numbers. */
export interface Cidr { base: number; prefix: number }

export function parseIp(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some(p => p > 255) || m.slice(1).some(p => p.length > 1 && p.startsWith('0'))) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** "10.89.3.0/24"; the address must be the network's first (as docker requires). */
export function parseCidr(text: string, strict = true): Cidr | undefined {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const ip = parseIp(m[1]);
  const prefix = Number(m[2]);
  if (ip === undefined || prefix > 32) return undefined;
  const base = (ip & mask(prefix)) >>> 0;
  if (strict && base !== ip) return undefined;
  return { base, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.prefix}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.prefix)) >>> 0) === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

/** The first usable address: the gateway by default. */
export function firstHost(c: Cidr): number {
  return c.base + 1;
}

/** Addresses a container may get: not the network, broadcast or gateway address. */
export function* hostAddresses(c: Cidr, gateway: number): Generator<number> {
  for (let ip = c.base + 1; ip < c.base + size(c) - 1; ip++) if (ip !== gateway) yield ip;
}

/** Parse the user's --subnet: a private IPv4 network of /8 to /29. */
export function parseUserSubnet(text: string): Cidr {
  const c = parseCidr(text);
  if (!c || c.prefix < 8 || c.prefix > 29) {
    throw new RackerError(`invalid subnet '${text.slice(0, 80)}'`, { hint: 'an IPv4 network in CIDR form whose address is its first, /8 to /29, e.g. 10.90.0.0/24' });
  }
  return c;
}

/** The pool `network create` picks from without --subnet: 10.89.0.0/16 in /24s. */
export const POOL: Cidr = { base: parseIp('10.89.0.0')!, prefix: 16 };
export const POOL_PREFIX = 24;

/**
 * The first /24 of the pool that overlaps none of `taken` (the host's routes
 * and addresses, and other racker networks). Undefined when all are used.
 */
export function pickSubnet(taken: Cidr[], pool: Cidr = POOL, prefix = POOL_PREFIX): Cidr | undefined {
  const step = 2 ** (32 - prefix);
  for (let base = pool.base; base < pool.base + size(pool); base += step) {
    const c = { base, prefix };
    if (!taken.some(t => overlaps(t, c))) return c;
  }
  return undefined;
}

/**
 * What `ip -j route` and `ip -j addr` say is in use, as subnets. A default
 * route says nothing about which addresses are local, so it is left out.
 */
export function takenFromIp(routes: unknown, addrs: unknown): Cidr[] {
  const out: Cidr[] = [];
  for (const r of Array.isArray(routes) ? routes as { dst?: unknown }[] : []) {
    if (typeof r?.dst !== 'string' || r.dst === 'default') continue;
    const c = parseCidr(r.dst.includes('/') ? r.dst : `${r.dst}/32`, false);
    if (c) out.push(c);
  }
  for (const link of Array.isArray(addrs) ? addrs as { addr_info?: unknown }[] : []) {
    for (const a of Array.isArray(link?.addr_info) ? link.addr_info as { family?: unknown; local?: unknown; prefixlen?: unknown }[] : []) {
      if (a?.family !== 'inet' || typeof a.local !== 'string' || typeof a.prefixlen !== 'number') continue;
      const c = parseCidr(`${a.local}/${a.prefixlen}`, false);
      if (c) out.push(c);
    }
  }
  return out;
}
