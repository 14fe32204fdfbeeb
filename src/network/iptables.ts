import { run, runAllowFail } from '../process.js';
import type { NetworkRules, PortRules } from './firewall.js';

/**
 * The same rules as firewall.ts's nftables tables, as iptables chains, for
 * hosts without `nft`: one nat chain RACKER-N-<id> per network (jumped to
 * from POSTROUTING, and a filter chain of that name from FORWARD and INPUT) and RACKER-P-<container> per container with published ports
 * (from PREROUTING and OUTPUT). A chain is filled in one iptables-restore
 * transaction and removed with its jumps.
 */

export const networkChain = (id: string) => `RACKER-N-${id.slice(0, 12)}`;
export const portChain = (containerId: string) => `RACKER-P-${containerId.slice(0, 12)}`;

/** [chain, match] of each jump; a match keeps what it does not cover out of the jumped-to chain */
type Jump = [string, string[]];
const JUMPS_N: Jump[] = [['POSTROUTING', []]];
const JUMPS_F: Jump[] = [['FORWARD', []], ['INPUT', []]];
const JUMPS_P: Jump[] = [['PREROUTING', ['!', '-d', '127.0.0.0/8']], ['OUTPUT', []]];

/** iptables-restore input for a network (pure). */
export function networkRestore(n: NetworkRules): string {
  const c = networkChain(n.id);
  const nat = [
    `-A ${c} -o ${n.bridge} -s 127.0.0.0/8 -j MASQUERADE`,
    `-A ${c} -o ${n.bridge} -s ${n.subnet} -m conntrack --ctstate DNAT -j MASQUERADE`,
    ...(n.internal ? [] : [`-A ${c} ! -o ${n.bridge} -s ${n.subnet} -j MASQUERADE`]),
  ];
  const into = n.internal
    ? [`-A ${c} -i ${n.bridge} ! -o ${n.bridge} -j DROP`, `-A ${c} -o ${n.bridge} ! -i ${n.bridge} -j DROP`]
    // into the bridge from elsewhere: replies and published ports (DNAT) only
    : [`-A ${c} -o ${n.bridge} ! -i ${n.bridge} -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`];
  const filter = [
    `*filter`, `:${c} - [0:0]`,
    // from INPUT: the host's 127.0.0.1 services are not the containers' (route_localnet, CVE-2020-8558); replies to the
    // host's own 127.0.0.1 traffic to a published port arrive here de-masqueraded, as an established connection
    `-A ${c} -i ${n.bridge} -d 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED -j DROP`,
    ...into, 'COMMIT',
  ];
  return ['*nat', `:${c} - [0:0]`, ...nat, 'COMMIT', ...filter, ''].join('\n');
}

/** iptables-restore input for a container's published ports (pure). */
export function portRestore(p: PortRules): string {
  const c = portChain(p.containerId);
  // PREROUTING jumps here only for destinations outside 127.0.0.0/8 (JUMPS_P): those are the host's own, DNAT'ed from OUTPUT
  const rules = p.ports.map(s => `-A ${c} ${s.hostIp === undefined ? '-m addrtype --dst-type LOCAL' : `-d ${s.hostIp}/32`} -p ${s.protocol} -m ${s.protocol} --dport ${s.hostPort} -j DNAT --to-destination ${p.ip}:${s.containerPort}`);
  return ['*nat', `:${c} - [0:0]`, ...rules, 'COMMIT', ''].join('\n');
}

async function ipt(args: string[]): Promise<boolean> {
  return (await runAllowFail('iptables', ['-w', '5', ...args])).exitCode === 0;
}

async function restore(text: string, purpose: string): Promise<void> {
  await run('iptables-restore', ['-w', '5', '--noflush'], { input: text, purpose });
}

async function jump(table: string, [from, match]: Jump, chain: string): Promise<void> {
  if (!await ipt(['-t', table, '-C', from, ...match, '-j', chain])) {
    await run('iptables', ['-w', '5', '-t', table, '-I', from, '1', ...match, '-j', chain], { purpose: `jump to ${chain} from ${from}` });
  }
}

async function drop(table: string, jumps: Jump[], chain: string): Promise<void> {
  for (const [from, match] of jumps) {
    while (await ipt(['-t', table, '-D', from, ...match, '-j', chain])) { /* every jump */ }
    // as an older racker jumped: without the match
    if (match.length) while (await ipt(['-t', table, '-D', from, '-j', chain])) { /* every jump */ }
  }
  if (await ipt(['-t', table, '-F', chain])) await ipt(['-t', table, '-X', chain]);
}

export async function applyNetwork(n: NetworkRules, purpose: string): Promise<void> {
  await restore(networkRestore(n), purpose);
  for (const j of JUMPS_N) await jump('nat', j, networkChain(n.id));
  for (const j of JUMPS_F) await jump('filter', j, networkChain(n.id));
}

export async function removeNetwork(id: string): Promise<void> {
  await drop('nat', JUMPS_N, networkChain(id));
  await drop('filter', JUMPS_F, networkChain(id));
}

export async function networkPresent(id: string): Promise<boolean> {
  return ipt(['-t', 'nat', '-S', networkChain(id)]);
}

export async function applyPorts(p: PortRules, purpose: string): Promise<void> {
  await restore(portRestore(p), purpose);
  for (const j of JUMPS_P) await jump('nat', j, portChain(p.containerId));
}

export async function removePorts(containerId: string): Promise<void> {
  await drop('nat', JUMPS_P, portChain(containerId));
}

/** Container id prefixes (12 hex) that have a port chain. */
export async function portOwners(): Promise<string[]> {
  const r = await runAllowFail('iptables', ['-w', '5', '-t', 'nat', '-S']);
  return [...r.stdout.matchAll(/^-N RACKER-P-([0-9a-f]{12})$/gm)].map(m => m[1]);
}
