import { run, runAllowFail } from '../process.js';
import type { PortSpec } from './ports.js';

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
    : [`iifname ${br} accept`, `oifname ${br} accept`];
  return [
    `table ip ${t} {}`,
    `delete table ip ${t}`,
    `table ip ${t} {`,
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
  const rules = p.ports.map(s => {
    const dst = s.hostIp === undefined ? 'fib daddr type local' : `ip daddr ${s.hostIp}`;
    return `${dst} ${s.protocol} dport ${s.hostPort} dnat to ${p.ip}:${s.containerPort}`;
  });
  return [
    `table ip ${t} {}`,
    `delete table ip ${t}`,
    `table ip ${t} {`,
    `  chain prerouting {`,
    `    type nat hook prerouting priority dstnat; policy accept;`,
    ...rules.map(r => `    ${r}`),
    `  }`,
    `  chain output {`,
    // dstnat is prerouting's name for -100; output takes the number
    `    type nat hook output priority -100; policy accept;`,
    ...rules.map(r => `    ${r}`),
    `  }`,
    `}`,
    '',
  ].join('\n');
}

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
  // an internal network: only between its own containers (bridged traffic crosses FORWARD under br_netfilter)
  const rules = internal ? [['-i', bridge, '-o', bridge]] : [['-i', bridge], ['-o', bridge]];
  for (const r of rules) {
    if (!(await iptables(['-C', CHAIN, ...r, '-j', 'ACCEPT'])).ok) {
      await run('iptables', ['-w', '5', '-A', CHAIN, ...r, '-j', 'ACCEPT'], { purpose: `let ${bridge} through the FORWARD chain` });
    }
  }
}

/** Remove the accept rules of one bridge; the chain and its jump go with the last bridge. */
export async function forwardRemove(bridge: string): Promise<void> {
  for (const r of [['-i', bridge], ['-o', bridge], ['-i', bridge, '-o', bridge]]) {
    while ((await iptables(['-D', CHAIN, ...r, '-j', 'ACCEPT'])).ok) { /* every copy */ }
  }
  const rest = await iptables(['-S', CHAIN]);
  if (rest.ok && !rest.out.split('\n').some(l => l.startsWith(`-A ${CHAIN}`))) {
    while ((await iptables(['-D', 'FORWARD', '-j', CHAIN])).ok) { /* every jump */ }
    await iptables(['-X', CHAIN]);
  }
}
