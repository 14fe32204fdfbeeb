/** What a container sees in /etc/hosts and /etc/resolv.conf; pure functions. */
import { byIPv4 } from '../compare.js';

export interface HostsEntry { ip: string; names: string[] }

/**
 * /etc/hosts for one container: localhost, then itself, then every other
 * container on its networks (name, hostname, aliases), then --add-host lines.
 * Names come from racker's own records (validated when given).
 */
export function hostsContent(self: HostsEntry | undefined, peers: HostsEntry[], extra: HostsEntry[] = []): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  const line = (e: HostsEntry) => {
    const names = [...new Set(e.names)].filter(Boolean);
    if (names.length) lines.push(`${e.ip}\t${names.join(' ')}`);
  };
  if (self) line(self);
  for (const p of [...peers].sort((a, b) => byIPv4(a.ip, b.ip))) line(p);
  for (const e of extra) line(e);
  return lines.join('\n') + '\n';
}

/**
 * The nameservers a container on a private network uses: --dns when given,
 * else the host's, except loopback ones (127.x, ::1: a resolver on the host's
 * loopback cannot be reached from another namespace, and racker runs no DNS
 * forwarder); when nothing is left, the public fallback is not guessed: the
 * container gets no nameserver and the caller warns.
 */
export function nameservers(hostResolvConf: string, dns: string[] = []): { servers: string[]; dropped: string[] } {
  if (dns.length) return { servers: dns, dropped: [] };
  const servers: string[] = [];
  const dropped: string[] = [];
  for (const raw of hostResolvConf.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(raw);
    if (!m) continue;
    if (/^127\./.test(m[1]) || m[1] === '::1') dropped.push(m[1]);
    else servers.push(m[1]);
  }
  return { servers, dropped };
}

/** resolv.conf with those servers and the host's search/options lines. */
export function resolvContent(hostResolvConf: string, dns: string[] = []): string {
  const { servers } = nameservers(hostResolvConf, dns);
  const keep = hostResolvConf.split('\n').filter(l => /^\s*(search|domain|options)\s/.test(l)).map(l => l.trim());
  return [...servers.map(s => `nameserver ${s}`), ...keep].join('\n') + '\n';
}
