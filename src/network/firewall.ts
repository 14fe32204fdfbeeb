import { readFile, writeFile } from 'node:fs/promises';
import { run, runAllowFail } from '../process.js';
import type { PortSpec } from '../model/network.js';

/**
 * racker's packet filter rules, one nftables table per network (NAT and
 * forwarding for its bridge) and one per container with published ports
 * (DNAT). A table is replaced or deleted whole, in one `nft -f` transaction,
 * so a half-applied rule set never exists and removing a table leaves nothing.
 *
 * nftables base chains in different tables each see every packet, and a drop
 * in any of them is final: an accept here does not get past docker's or ufw's
 * iptables FORWARD policy drop. Where that chain exists, forwardAccept()
 * inserts accept rules for racker's bridges into it (iptables-nft chain
 * RACKER-FORWARD, jumped to from FORWARD).
 */

export interface NetworkRules { id: string; bridge: string; subnet: string; internal: boolean }
export interface PortRules { containerId: string; bridge: string; ip: string; ports: PortSpec[] }

/** nft names: a prefix and hex only, so nothing from a user reaches the rule text. */
export const networkTable = (id: string) => `racker-n-${id.slice(0, 12)}`;
export const portTable = (containerId: string) => `racker-p-${containerId.slice(0, 12)}`;
const quoted = (iface: string) => `"${iface.replace(/[^A-Za-z0-9_.-]/g, '')}"`;

export function networkRuleset(n: NetworkRules): string {
  const br = quoted(n.bridge);
  const t = networkTable(n.id);
  const post = [
    // published ports reached as 127.0.0.1: the reply must come back to the host, not to its loopback
    `oifname ${br} ip saddr 127.0.0.0/8 masquerade`,
    // a container reaching its own network's published port through a host address (hairpin)
    `oifname ${br} ip saddr ${n.subnet} ct status dnat masquerade`,
  ];
  if (!n.internal) post.push(`ip saddr ${n.subnet} oifname != ${br} masquerade`);
  const fwd = n.internal
    ? [`iifname ${br} oifname != ${br} drop`, `oifname ${br} iifname != ${br} drop`, `iifname ${br} oifname ${br} accept`]
    : [
      `iifname ${br} accept`,
      // into the bridge from elsewhere (the host's link, another network): replies, and published ports (DNAT) only;
      // a neighbour that routes the subnet through the host reaches no unpublished port
      `oifname ${br} ct state established,related accept`,
      `oifname ${br} ct status dnat accept`,
      `oifname ${br} counter drop`,
    ];
  return [
    `table ip ${t} {}`,
    `delete table ip ${t}`,
    `table ip ${t} {`,
    // route_localnet (links.ts) would let a container reach what the host binds to 127.0.0.1 (CVE-2020-8558):
    // nothing from the bridge is addressed there before NAT (replies to the host's own 127.0.0.1 traffic carry the gateway's address until then)
    `  chain loopback {`,
    `    type filter hook prerouting priority -300; policy accept;`,
    `    iifname ${br} ip daddr 127.0.0.0/8 counter drop`,
    `  }`,
    `  chain postrouting {`,
    `    type nat hook postrouting priority srcnat; policy accept;`,
    ...post.map(r => `    ${r}`),
    `  }`,
    `  chain forward {`,
    `    type filter hook forward priority filter; policy accept;`,
    ...fwd.map(r => `    ${r}`),
    `  }`,
    `}`,
    '',
  ].join('\n');
}

export function portRuleset(p: PortRules): string {
  const t = portTable(p.containerId);
  const rule = (s: PortSpec, dst: string) => `${dst} ${s.protocol} dport ${s.hostPort} dnat to ${p.ip}:${s.containerPort}`;
  const output = p.ports.map(s => rule(s, s.hostIp === undefined ? 'fib daddr type local' : `ip daddr ${s.hostIp}`));
  // prerouting sees what arrives from other machines: never 127.0.0.0/8 (a port published on 127.0.0.1 is the host's
  // own; the host's traffic to it is DNAT'ed in output)
  const prerouting = p.ports.filter(s => !isLoopback(s.hostIp))
    .map(s => rule(s, s.hostIp === undefined ? 'fib daddr type local ip daddr != 127.0.0.0/8' : `ip daddr ${s.hostIp}`));
  return [
    `table ip ${t} {}`,
    `delete table ip ${t}`,
    `table ip ${t} {`,
    `  chain prerouting {`,
    `    type nat hook prerouting priority dstnat; policy accept;`,
    ...prerouting.map(r => `    ${r}`),
    `  }`,
    `  chain output {`,
    // dstnat is prerouting's name for -100; output takes the number
    `    type nat hook output priority -100; policy accept;`,
    ...output.map(r => `    ${r}`),
    `  }`,
    `}`,
    '',
  ].join('\n');
}

/** An address in 127.0.0.0/8: published for the host's own programs only. */
export const isLoopback = (ip: string | undefined) => ip !== undefined && /^127\./.test(ip);

export async function applyRuleset(text: string, purpose: string): Promise<void> {
  await run('nft', ['-f', '-'], { input: text, purpose });
}

/** Delete a racker table; a table that is not there is fine (clean-up runs twice). */
export async function deleteTable(name: string): Promise<void> {
  const r = await runAllowFail('nft', ['delete', 'table', 'ip', name]);
  if (r.exitCode !== 0 && !/No such file or directory|does not exist/i.test(r.stderr)) {
    await run('nft', ['delete', 'table', 'ip', name], { purpose: `remove nftables table ${name}` });
  }
}

export async function tableExists(name: string): Promise<boolean> {
  return (await runAllowFail('nft', ['list', 'table', 'ip', name])).exitCode === 0;
}

/** racker's tables in this network namespace. */
export async function listTables(): Promise<string[]> {
  const r = await runAllowFail('nft', ['list', 'tables', 'ip']);
  return r.exitCode === 0 ? [...r.stdout.matchAll(/^table ip (racker-[a-z]-[0-9a-f]+)$/gm)].map(m => m[1]) : [];
}

const CHAIN = 'RACKER-FORWARD';
const INTO = (bridge: string) => ['-o', bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED,DNAT'];

async function iptables(args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await runAllowFail('iptables', ['-w', '5', ...args]);
    return { ok: r.exitCode === 0, out: r.stdout };
  } catch {
    return { ok: false, out: '' }; // no iptables on this host: nothing of it can drop our packets
  }
}

/**
 * Let the bridge's traffic through iptables' filter FORWARD when that chain
 * could drop it (policy DROP, or any rule there, as docker and ufw set up).
 * Idempotent; the rules carry the bridge name, so removal finds exactly them.
 */
export async function forwardAccept(bridge: string, internal = false): Promise<void> {
  const fwd = await iptables(['-S', 'FORWARD']);
  if (!fwd.ok) return;
  const lines = fwd.out.split('\n');
  const mayDrop = lines.includes('-P FORWARD DROP') || lines.some(l => l.startsWith('-A FORWARD'));
  if (!mayDrop) return;
  if (!(await iptables(['-S', CHAIN])).ok) await iptables(['-N', CHAIN]);
  if (!(await iptables(['-C', 'FORWARD', '-j', CHAIN])).ok) {
    const r = await iptables(['-I', 'FORWARD', '1', '-j', CHAIN]);
    if (!r.ok) await run('iptables', ['-w', '5', '-I', 'FORWARD', '1', '-j', CHAIN], { purpose: 'let racker networks through the FORWARD chain' });
  }
  // an internal network: only between its own containers (bridged traffic crosses FORWARD under br_netfilter);
  // into the bridge from elsewhere: replies and published ports (DNAT) only, as the network's own rules say
  const rules = internal ? [['-i', bridge, '-o', bridge]] : [['-i', bridge], INTO(bridge)];
  for (const r of rules) {
    if (!(await iptables(['-C', CHAIN, ...r, '-j', 'ACCEPT'])).ok) {
      await run('iptables', ['-w', '5', '-A', CHAIN, ...r, '-j', 'ACCEPT'], { purpose: `let ${bridge} through the FORWARD chain` });
    }
  }
}

/** Remove the accept rules of one bridge; the chain and its jump go with the last bridge. */
export async function forwardRemove(bridge: string): Promise<void> {
  // ['-o', bridge]: as an older racker accepted everything into the bridge
  for (const r of [['-i', bridge], INTO(bridge), ['-o', bridge], ['-i', bridge, '-o', bridge]]) {
    while ((await iptables(['-D', CHAIN, ...r, '-j', 'ACCEPT'])).ok) { /* every copy */ }
  }
  const rest = await iptables(['-S', CHAIN]);
  if (rest.ok && !rest.out.split('\n').some(l => l.startsWith(`-A ${CHAIN}`))) {
    while ((await iptables(['-D', 'FORWARD', '-j', CHAIN])).ok) { /* every jump */ }
    await iptables(['-X', CHAIN]);
  }
}

/**
 * Forwarding on for the host, as a network needs it. When it was off, the
 * host routed for nobody: turning it on must not make it a router between
 * its other interfaces either, so iptables' FORWARD policy becomes DROP first
 * (as docker does), and the bridges already there get their accept rules.
 * A host that forwarded already keeps its policy.
 */
export async function enableForwarding(): Promise<void> {
  const file = '/proc/sys/net/ipv4/ip_forward';
  const now = await readFile(file, 'utf8').catch(() => '');
  if (now.trim() !== '0') return; // on already, or unreadable (the doctor's firewall check says so)
  if ((await iptables(['-P', 'FORWARD', 'DROP'])).ok) {
    const bridges: string[] = (await iptables(['-S', CHAIN])).out.match(/-i rk-br-[0-9a-f]+/g) ?? [];
    for (const b of await rackerBridges()) if (!bridges.includes(`-i ${b}`)) await forwardAccept(b);
  }
  await writeFile(file, '1').catch(() => undefined); // read-only /proc/sys
}

/** racker's bridges on this host (every store root's): links named rk-br-<hex>. */
async function rackerBridges(): Promise<string[]> {
  const r = await runAllowFail('ip', ['-o', 'link', 'show', 'type', 'bridge']);
  return [...r.stdout.matchAll(/^\d+: (rk-br-[0-9a-f]+)[:@]/gm)].map(m => m[1]);
}
