import { runAllowFail } from '../process.js';
import * as nft from './firewall.js';
import * as ipt from './iptables.js';
import type { NetworkRules, PortRules } from './firewall.js';

/**
 * racker's packet rules through whichever tool the host has: nftables tables
 * (firewall.ts) when `nft` is on PATH, else iptables chains (iptables.ts).
 * Removals are harmless when there is nothing to remove.
 */

let backend: Promise<'nft' | 'iptables'> | undefined;
export function firewallBackend(): Promise<'nft' | 'iptables'> {
  backend ??= runAllowFail('nft', ['--version']).then(() => 'nft' as const, () => 'iptables' as const);
  return backend;
}

export async function applyNetwork(n: NetworkRules, purpose: string): Promise<void> {
  if (await firewallBackend() === 'nft') await nft.applyRuleset(nft.networkRuleset(n), purpose);
  else await ipt.applyNetwork(n, purpose);
}

export async function removeNetwork(id: string): Promise<void> {
  if (await firewallBackend() === 'nft') await nft.deleteTable(nft.networkTable(id));
  else await ipt.removeNetwork(id);
}

export async function networkPresent(id: string): Promise<boolean> {
  return await firewallBackend() === 'nft' ? nft.tableExists(nft.networkTable(id)) : ipt.networkPresent(id);
}

export async function applyPorts(p: PortRules, purpose: string): Promise<void> {
  if (await firewallBackend() === 'nft') await nft.applyRuleset(nft.portRuleset(p), purpose);
  else await ipt.applyPorts(p, purpose);
}

export async function removePorts(containerId: string): Promise<void> {
  if (await firewallBackend() === 'nft') await nft.deleteTable(nft.portTable(containerId));
  else await ipt.removePorts(containerId);
}

/** The owner names (firewall.ts's portTable form) of every container that has published ports. */
export async function portOwners(): Promise<Set<string>> {
  if (await firewallBackend() === 'nft') return new Set(await nft.listTables());
  return new Set((await ipt.portOwners()).map(hex => nft.portTable(hex)));
}
