import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import type { NetworkService } from '../../engine/networks.js';
import { formatTable, timeAgo } from '../table.js';
import { printableJson, shown } from '../../untrusted.js';
import { validateNetworkName } from '../../model/network.js';
import { collect, engineFrom } from '../context.js';
import { eachName } from '../each.js';
import { parseLabels } from '../options.js';

function networks(program: Command): NetworkService {
  return engineFrom(program).networks;
}

/** docker's name rule, checked before anything else: the refusal shows the name escaped (a newline in it stays on one line) */
function checkName(name: string): void {
  try {
    validateNetworkName(name);
  } catch (err) {
    throw new RackerError(`invalid network name '${shown(name, 80)}'`, { hint: (err as RackerError).hint });
  }
}

export function register(program: Command): void {
  const net = program.command('network').description('manage private networks (bridges with NAT, names and published ports)');

  net.command('create')
    .description('create a network')
    .argument('<name>', 'network name')
    .option('--subnet <cidr>', 'IPv4 subnet, e.g. 10.90.0.0/24 (default: a free /24 of 10.89.0.0/16)')
    .option('--gateway <ip>', 'gateway address in the subnet (default: its first address)')
    .option('--internal', 'no traffic to or from outside the network')
    .option('--label <key=value>', 'metadata (repeatable)', collect, [])
    .option('-d, --driver <driver>', 'only bridge', 'bridge')
    .action(async (name: string, f: { subnet?: string; gateway?: string; internal?: boolean; label: string[]; driver: string }) => {
      if (f.driver !== 'bridge') throw new RackerError(`unsupported network driver '${f.driver.slice(0, 40)}'`, { hint: 'racker networks are bridges: leave out --driver' });
      checkName(name);
      const n = await networks(program).create({ name, subnet: f.subnet, gateway: f.gateway, internal: f.internal, labels: parseLabels(f.label) });
      process.stdout.write(`${n.id}\n`);
    });

  net.command('ls')
    .alias('list')
    .description('list networks')
    .option('--format <format>', 'table or json (one object per line)', 'table')
    .option('-q, --quiet', 'only network ids')
    .option('--no-trunc', 'do not shorten ids')
    .action(async (f: { format: string; quiet?: boolean; trunc: boolean }) => {
      const nets = await networks(program).list();
      const id = (i: string) => (f.trunc ? i.slice(0, 12) : i);
      if (f.quiet) process.stdout.write(nets.map(n => `${id(n.id)}\n`).join(''));
      else if (f.format === 'json') {
        for (const n of nets) process.stdout.write(printableJson({ ID: id(n.id), Name: n.name, Driver: 'bridge', Scope: 'local', Subnet: n.subnet, Gateway: n.gateway, Internal: n.internal, CreatedAt: n.created, Labels: n.labels }) + '\n');
      } else if (f.format === 'table') {
        process.stdout.write(formatTable(['NETWORK ID', 'NAME', 'DRIVER', 'SUBNET', 'CREATED'], nets.map(n => [id(n.id), n.name, 'bridge', n.subnet, timeAgo(n.created)])));
      } else {
        throw new RackerError(`unknown --format '${f.format.slice(0, 40)}'`, { hint: 'use table or json' });
      }
    });

  net.command('rm')
    .alias('remove')
    .description('remove networks (refused while a container uses one)')
    .argument('<network...>', 'names or ids')
    .action(async (refs: string[]) => {
      const engine = engineFrom(program);
      // what containers that died without cleaning up still hold does not count as "in use"
      await engine.containers.reapNetworks();
      await eachName(refs, async r => { await engine.networks.remove(r); }, { echo: true });
    });

  net.command('inspect')
    .description('show networks as JSON')
    .argument('<network...>', 'names or ids')
    .action(async (refs: string[]) => {
      const m = networks(program);
      const out: unknown[] = [];
      for (const r of refs) out.push(await m.inspect(r));
      process.stdout.write(printableJson(out, 4) + '\n');
    });

  net.command('prune')
    .description('remove every network no container uses')
    .option('-f, --force', 'do not ask (racker never asks)')
    .action(async () => {
      const removed = await networks(program).prune();
      if (removed.length) process.stdout.write(`Deleted Networks:\n${removed.map(n => `${n}\n`).join('')}`);
    });
}
