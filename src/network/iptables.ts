import { run, runAllowFail } from '../process.js';
import type { NetworkRules, PortRules } from './firewall.js';

/**
 * The same rules as firewall.ts's nftables tables, as iptables chains, for
 * hosts without `nft`: one nat chain RACKER-N-<id> per network (jumped to
 * from POSTROUTING; an internal network also gets a filter chain of that name,
 * from FORWARD) and RACKER-P-<container> per container with published ports
 * (from PREROUTING and OUTPUT). A chain is filled in one iptables-restore
 * transaction and removed with its jumps.
 */

export const networkChain = (id: string) => `RACKER-N-${id.slice(0, 12)}`;
export const portChain = (containerId: string) => `RACKER-P-${containerId.slice(0, 12)}`;

const JUMPS_N = ['POSTROUTING'];
const JUMPS_P = ['PREROUTING', 'OUTPUT'];

/** iptables-restore input for a network (pure). */
export function networkRestore(n: NetworkRules): string {
  const c = networkChain(n.id);
  const nat = [
    `-A ${c} -o ${n.bridge} -s 127.0.0.0/8 -j MASQUERADE`,
    `-A ${c} -o ${n.bridge} -s ${n.subnet} -m conntrack --ctstate DNAT -j MASQUERADE`,
    ...(n.internal ? [] : [`-A ${c} ! -o ${n.bridge} -s ${n.subnet} -j MASQUERADE`]),
  ];
  const filter = n.internal ? [`*filter`, `:${c} - [0:0]`, `-A ${c} -i ${n.bridge} ! -o ${n.bridge} -j DROP`, `-A ${c} -o ${n.bridge} ! -i ${n.bridge} -j DROP`, 'COMMIT'] : [];
  return ['*nat', `:${c} - [0:0]`, ...nat, 'COMMIT', ...filter, ''].join('\n');
}

/** iptables-restore input for a container's published ports (pure). */
export function portRestore(p: PortRules): string {
  const c = portChain(p.containerId);
  const rules = p.ports.map(s => `-A ${c} ${s.hostIp === undefined ? '-m addrtype --dst-type LOCAL' : `-d ${s.hostIp}/32`} -p ${s.protocol} -m ${s.protocol} --dport ${s.hostPort} -j DNAT --to-destination ${p.ip}:${s.containerPort}`);
  return ['*nat', `:${c} - [0:0]`, ...rules, 'COMMIT', ''].join('\n');
}

async function ipt(args: string[]): Promise<boolean> {
  return (await runAllowFail('iptables', ['-w', '5', ...args])).exitCode === 0;
}

async function restore(text: string, purpose: string): Promise<void> {
  await run('iptables-restore', ['-w', '5', '--noflush'], { input: text, purpose });
}

async function jump(table: string, from: string, chain: string): Promise<void> {
  if (!await ipt(['-t', table, '-C', from, '-j', chain])) {
    await run('iptables', ['-w', '5', '-t', table, '-I', from, '1', '-j', chain], { purpose: `jump to ${chain} from ${from}` });
  }
}

async function drop(table: string, froms: string[], chain: string): Promise<void> {
  for (const from of froms) while (await ipt(['-t', table, '-D', from, '-j', chain])) { /* every jump */ }
  if (await ipt(['-t', table, '-F', chain])) await ipt(['-t', table, '-X', chain]);
}

export async function applyNetwork(n: NetworkRules, purpose: string): Promise<void> {
  await restore(networkRestore(n), purpose);
  await jump('nat', 'POSTROUTING', networkChain(n.id));
  if (n.internal) await jump('filter', 'FORWARD', networkChain(n.id));
}

export async function removeNetwork(id: string): Promise<void> {
  await drop('nat', JUMPS_N, networkChain(id));
  await drop('filter', ['FORWARD'], networkChain(id));
}

export async function networkPresent(id: string): Promise<boolean> {
  return ipt(['-t', 'nat', '-S', networkChain(id)]);
}

export async function applyPorts(p: PortRules, purpose: string): Promise<void> {
  await restore(portRestore(p), purpose);
  for (const from of JUMPS_P) await jump('nat', from, portChain(p.containerId));
}

export async function removePorts(containerId: string): Promise<void> {
  await drop('nat', JUMPS_P, portChain(containerId));
}

/** Container id prefixes (12 hex) that have a port chain. */
export async function portOwners(): Promise<string[]> {
  const r = await runAllowFail('iptables', ['-w', '5', '-t', 'nat', '-S']);
  return [...r.stdout.matchAll(/^-N RACKER-P-([0-9a-f]{12})$/gm)].map(m => m[1]);
}
