import { execa, type ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import readline from 'node:readline';

/** A fake container id: 64 hex, as the store makes them. */
export function fakeId(): string {
  return randomBytes(32).toString('hex');
}

/**
 * A TCP server that answers each connection with "<tag> <remote address>" and
 * prints "from <remote address>" for it: a test sees who reached it.
 */
const SERVER = `
const net = require('node:net');
const [port, tag, bind] = process.argv.slice(1);
const srv = net.createServer(s => {
  const from = s.remoteAddress.replace(/^::ffff:/, '');
  console.log('from ' + from);
  s.end(tag + ' ' + from); s.on('error', () => {});
}).listen(Number(port), bind, () => console.log('listening ' + srv.address().port));
`;

/**
 * Connects and prints what the server said. No timer of its own: it ends with
 * the server's answer or the kernel's verdict (refused, unreachable, TCP
 * giving up). "sent" on stderr once the connect call has sent its SYN.
 */
const CLIENT = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port) }, () => {});
setImmediate(() => console.error('sent'));
let out = '';
s.on('data', d => { out += d; });
s.on('end', () => { console.log(out); process.exit(0); });
s.on('error', e => { console.error(e.code); process.exit(1); });
`;

const LOOKUP = `
require('node:dns').lookup(process.argv[1], { family: 4 }, (e, a) => { if (e) { console.error(e.code); process.exit(1); } console.log(a); });
`;

/** `ip netns exec NS cmd…`, or the host when ns is undefined. */
function inNs(ns: string | undefined, cmd: string, args: string[]): [string, string[]] {
  return ns === undefined ? [cmd, args] : ['ip', ['netns', 'exec', ns, cmd, ...args]];
}

/** A running server; wrapped, since an execa child is a thenable that an async function would wait for. */
export interface Server { child: ResultPromise; port: number; seen: string[] }

/** A server in ns (or on the host) on port (0: a free one) of address bind (default every address). */
export async function startServer(ns: string | undefined, port: number, tag: string, bind = '0.0.0.0'): Promise<Server> {
  const [cmd, args] = inNs(ns, process.execPath, ['-e', SERVER, String(port), tag, bind]);
  const child = execa(cmd, args, { reject: false, stdin: 'ignore' });
  const seen: string[] = [];
  const lines = readline.createInterface({ input: child.stdout! });
  // the event, not a timer: the server says it listens, or it ended
  const listening = await new Promise<number>((resolve, reject) => {
    lines.on('line', l => {
      if (l.startsWith('listening ')) resolve(Number(l.slice(10)));
      else if (l.startsWith('from ')) seen.push(l.slice(5));
    });
    void child.then(r => reject(new Error(`server in ${ns ?? 'the host'} exited: ${String(r.stderr)}`)));
  });
  return { child, port: listening, seen };
}

export async function stopServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.child.kill('SIGKILL');
  await server.child.catch(() => undefined);
}

/** Connect from ns (or the host) and return what the server said, or the error code. */
export async function connect(ns: string | undefined, host: string, port: number): Promise<{ ok: boolean; text: string }> {
  const [cmd, args] = inNs(ns, process.execPath, ['-e', CLIENT, host, String(port)]);
  const r = await execa(cmd, args, { reject: false, stdin: 'ignore' });
  return { ok: r.exitCode === 0, text: r.exitCode === 0 ? String(r.stdout).trim() : String(r.stderr).replace(/^sent\n/, '').trim() };
}

/**
 * A connection attempt left running: `sent` resolves once its SYN is out.
 * For "X does not reach Y": start it, then let an allowed connection take the
 * same path; once that one is answered, the attempt's SYN has passed wherever
 * it would have gone, and Y's server has seen it or not. stop() ends it.
 */
export async function attempt(ns: string | undefined, host: string, port: number): Promise<{ stop(): Promise<void> }> {
  const [cmd, args] = inNs(ns, process.execPath, ['-e', CLIENT, host, String(port)]);
  const child = execa(cmd, args, { reject: false, stdin: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    readline.createInterface({ input: child.stderr! }).on('line', l => { if (l === 'sent') resolve(); });
    void child.then(r => reject(new Error(`connection attempt ended before sending: ${String(r.exitCode)}`)));
  });
  return { stop: async () => { child.kill('SIGKILL'); await child.catch(() => undefined); } };
}

/** Resolve a name inside ns the way the C library does (/etc/hosts first). */
export async function lookup(ns: string, name: string): Promise<string> {
  const r = await execa('ip', ['netns', 'exec', ns, process.execPath, '-e', LOOKUP, name], { reject: false, stdin: 'ignore' });
  return r.exitCode === 0 ? String(r.stdout).trim() : `error ${String(r.stderr).trim()}`;
}

/**
 * `ip netns exec NAME` bind-mounts /etc/netns/NAME/hosts over /etc/hosts: the
 * stand-in container's /etc/hosts. Its resolv.conf names no nameserver, so a
 * name that is not in hosts fails at once (nothing answers on the namespace's
 * own 127.0.0.1:53) instead of waiting for the host's DNS server through NAT
 * (a timeout under load, and traffic to an address no test made).
 */
export async function etcNetnsDir(ns: string): Promise<string> {
  const dir = `/etc/netns/${ns}`;
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}/resolv.conf`, '# a stand-in container: names come from its hosts file only\n');
  return dir;
}

export async function removeEtcNetns(ns: string): Promise<void> {
  await rm(`/etc/netns/${ns}`, { recursive: true, force: true });
}

export async function links(ns?: string): Promise<string[]> {
  const r = await execa('ip', [...(ns ? ['-n', ns] : []), '-j', 'link', 'show'], { reject: false });
  return r.exitCode === 0 ? (JSON.parse(r.stdout) as { ifname: string }[]).map(l => l.ifname) : [];
}

export async function nftTables(ns?: string): Promise<string[]> {
  const [cmd, args] = inNs(ns, 'nft', ['list', 'tables']);
  const r = await execa(cmd, args, { reject: false });
  return String(r.stdout).split('\n').filter(Boolean);
}

export async function netnsNames(): Promise<string[]> {
  const r = await execa('ip', ['-j', 'netns', 'list'], { reject: false });
  return r.stdout.trim() ? (JSON.parse(r.stdout) as { name: string }[]).map(n => n.name) : [];
}

/** A machine on the host's link: a namespace joined to the host by a veth pair with a /30 of its own. */
export interface Neighbour { ns: string; link: string; hostIp: string; ip: string }

/** 198.18.0.0/15 (set aside for tests): a /30 in it that no route or address of the host's touches. */
async function freeSlash30(): Promise<number> {
  const used = [
    ...(JSON.parse((await execa('ip', ['-j', 'route'])).stdout) as { dst: string }[]).map(r => r.dst),
    ...(JSON.parse((await execa('ip', ['-j', 'addr'])).stdout) as { addr_info: { family: string; local: string; prefixlen: number }[] }[])
      .flatMap(l => l.addr_info.filter(a => a.family === 'inet').map(a => `${a.local}/${a.prefixlen}`)),
  ].map(cidr => {
    if (cidr === 'default') return [0, 0];
    const [ip, len] = cidr.split('/');
    const n = ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
    const prefix = len === undefined ? 32 : Number(len);
    const size = 2 ** (32 - prefix);
    return [n - (n % size), prefix === 0 ? 0 : size];
  }).filter(([, size]) => size > 0);
  const base = 198 * 2 ** 24 + 18 * 2 ** 16;
  for (;;) {
    const net = base + 4 * (randomBytes(2).readUInt16BE(0) % 2 ** 15); // one of the /15's /30s
    if (!used.some(([start, size]) => net < start + size && start < net + 4)) return net;
  }
}

const dotted = (n: number) => [24, 16, 8, 0].map(s => Math.floor(n / 2 ** s) % 256).join('.');

export async function makeNeighbour(): Promise<Neighbour> {
  const hex = randomBytes(4).toString('hex');
  const net = await freeSlash30();
  const n: Neighbour = { ns: `rk-test-nb-${hex}`, link: `rk-nb${hex}`, hostIp: dotted(net + 1), ip: dotted(net + 2) };
  const ip = async (args: string[]) => { await execa('ip', args); };
  await ip(['netns', 'add', n.ns]);
  await ip(['link', 'add', n.link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n.ns]);
  await ip(['addr', 'add', `${n.hostIp}/30`, 'dev', n.link]);
  await ip(['link', 'set', n.link, 'up']);
  await ip(['-n', n.ns, 'addr', 'add', `${n.ip}/30`, 'dev', 'eth0']);
  await ip(['-n', n.ns, 'link', 'set', 'eth0', 'up']);
  await ip(['-n', n.ns, 'link', 'set', 'lo', 'up']);
  return n;
}

export async function removeNeighbour(n: Neighbour | undefined): Promise<void> {
  if (!n) return;
  await execa('ip', ['link', 'del', n.link], { reject: false });
  await execa('ip', ['netns', 'del', n.ns], { reject: false });
}

/**
 * What an attacker does to reach another machine's 127.0.0.1 (CVE-2020-8558):
 * in ns, 127.0.0.1 is no longer local but routed via `gateway`, and packets
 * from and to 127.0.0.0/8 may use the interface.
 */
export async function routeLoopbackVia(ns: string, gateway: string, dev: string, src: string): Promise<void> {
  const lines = [
    `net.ipv4.conf.all.route_localnet=1`, `net.ipv4.conf.${dev}.route_localnet=1`, `net.ipv4.conf.${dev}.accept_local=1`,
  ];
  for (const l of lines) await execa('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', l]);
  await execa('ip', ['-n', ns, 'route', 'del', 'local', '127.0.0.1', 'dev', 'lo', 'table', 'local'], { reject: false });
  await execa('ip', ['-n', ns, 'route', 'del', 'local', '127.0.0.0/8', 'dev', 'lo', 'table', 'local'], { reject: false });
  await execa('ip', ['-n', ns, 'route', 'add', '127.0.0.1/32', 'via', gateway, 'dev', dev, 'src', src]);
}
