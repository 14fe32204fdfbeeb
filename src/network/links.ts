import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { run, runAllowFail } from '../process.js';

/**
 * The kernel side: namespaces, bridges and veth pairs, all through `ip`
 * (iproute2) with argument arrays. Every removal tolerates "already gone",
 * so clean-up can run twice or after a crash.
 */

export const NETNS_DIR = '/run/netns';
export const netnsName = (containerId: string) => `rk-${containerId.slice(0, 12)}`;
export const netnsPath = (name: string) => `${NETNS_DIR}/${name}`;
/** host end of a container's veth on one network: 15 characters, the kernel's limit */
export const vethName = (containerId: string, networkId: string) => `rk-${containerId.slice(0, 9)}${networkId.slice(0, 3)}`;
export const bridgeName = (networkId: string) => `rk-br-${networkId.slice(0, 8)}`;

const GONE = /Cannot find device|does not exist|No such file or directory|Cannot open network namespace/i;

async function ip(args: string[], purpose: string): Promise<void> {
  await run('ip', args, { purpose });
}

async function ipQuiet(args: string[]): Promise<void> {
  const r = await runAllowFail('ip', args);
  if (r.exitCode !== 0 && !GONE.test(r.stderr)) await ip(args, `ip ${args.join(' ')}`);
}

export async function linkExists(name: string): Promise<boolean> {
  return (await runAllowFail('ip', ['link', 'show', 'dev', name])).exitCode === 0;
}

export async function ipJson(args: string[]): Promise<unknown> {
  const r = await run('ip', ['-j', ...args], { purpose: 'read the host network configuration' });
  return r.stdout.trim() ? JSON.parse(r.stdout) as unknown : [];
}

async function sysctl(file: string, value: string): Promise<void> {
  await writeFile(file, value).catch(() => undefined); // read-only /proc/sys: the doctor's firewall check says so
}

/** The network's bridge with its gateway address, up (firewall.ts's enableForwarding() turns forwarding on). */
export async function ensureBridge(bridge: string, gateway: string, prefix: number): Promise<void> {
  if (!await linkExists(bridge)) {
    const r = await runAllowFail('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
    if (r.exitCode !== 0 && !/File exists/.test(r.stderr)) await ip(['link', 'add', 'name', bridge, 'type', 'bridge'], `create bridge ${bridge}`);
  }
  await ip(['addr', 'replace', `${gateway}/${prefix}`, 'dev', bridge], `address bridge ${bridge}`);
  await ip(['link', 'set', 'dev', bridge, 'up'], `bring up bridge ${bridge}`);
  // DNAT of the host's own 127.0.0.1 traffic to a container leaves through this bridge; the network's rules drop
  // what a container sends to 127.0.0.0/8 (firewall.ts)
  await sysctl(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, '1');
}

export async function deleteLink(name: string): Promise<void> {
  await ipQuiet(['link', 'del', 'dev', name]);
}

/** A namespace with only `lo`, up. */
export async function createNetns(name: string): Promise<void> {
  const r = await runAllowFail('ip', ['netns', 'add', name]);
  if (r.exitCode !== 0 && !/File exists/.test(r.stderr)) await ip(['netns', 'add', name], `create network namespace ${name}`);
  await ip(['-n', name, 'link', 'set', 'dev', 'lo', 'up'], `bring up lo in ${name}`);
}

export async function deleteNetns(name: string): Promise<void> {
  await ipQuiet(['netns', 'del', name]);
}

/**
 * A container's host-side veths and its namespace, gone, in one `ip -batch`
 * (deleting the namespace alone would leave the veths to the kernel's
 * asynchronous clean-up: still there when this returns). "Already gone" is
 * fine; another failure is run again alone, for its own error message.
 */
export async function unplug(netns: string, veths: string[]): Promise<void> {
  const lines = [...veths.map(v => `link del dev ${v}`), ...(existsSync(netnsPath(netns)) ? [`netns del ${netns}`] : [])];
  if (!lines.length) return;
  const r = await runAllowFail('ip', ['-force', '-batch', '-'], { input: lines.join('\n') + '\n' });
  if (r.exitCode === 0) return;
  const failed = r.stderr.split('\n').filter(l => l.trim() && !/^Command failed/.test(l) && !GONE.test(l));
  if (r.exitCode === undefined || failed.length) for (const l of lines) await ipQuiet(l.split(' '));
}

export async function netnsExists(name: string): Promise<boolean> {
  return (await runAllowFail('ip', ['netns', 'pids', name])).exitCode === 0;
}

/** Interfaces inside a namespace other than lo. */
export async function netnsLinks(name: string): Promise<string[]> {
  const links = await ipJson(['-n', name, 'link', 'show']) as { ifname?: string }[];
  return links.map(l => l.ifname ?? '').filter(n => n && n !== 'lo');
}

/**
 * A veth pair: `veth` on the host, enslaved to the bridge; its peer created
 * inside the namespace as `ifname`, addressed, up, with the default route
 * when `gateway` is given. All from the host side: the image needs no tools.
 * Two `ip -batch` runs (host side, namespace side): each process start costs
 * more than the work. `createNs` makes the namespace first.
 */
export async function plugVeth(o: { netns: string; createNs: boolean; veth: string; ifname: string; bridge: string; ip: string; prefix: number; gateway?: string }): Promise<void> {
  // the lines hold only addresses we formatted and names we made
  const host = [
    `link add name ${o.veth} type veth peer name ${o.ifname} netns ${o.netns}`,
    `link set dev ${o.veth} master ${o.bridge} up`,
  ];
  const batch = (lines: string[]) => lines.join('\n') + '\n';
  const first = await runAllowFail('ip', ['-batch', '-'], { input: batch(o.createNs ? [`netns add ${o.netns}`, ...host] : host) });
  // a namespace that is already there (isolate() ran first) stops the batch at its first line: the rest again, alone
  if (first.exitCode !== 0) await run('ip', ['-batch', '-'], { input: batch(host), purpose: `create veth ${o.veth}` });
  const inner = [
    'link set dev lo up',
    `addr add ${o.ip}/${o.prefix} dev ${o.ifname}`,
    `link set dev ${o.ifname} up`,
    ...(o.gateway ? [`route replace default via ${o.gateway} dev ${o.ifname}`] : []),
  ];
  await run('ip', ['-n', o.netns, '-batch', '-'], { input: batch(inner), purpose: `configure ${o.ifname} in ${o.netns}` });
}
