import { execa, type ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';

/** A fake container id: 64 hex, as the store makes them. */
export function fakeId(): string {
  return randomBytes(32).toString('hex');
}

/** A TCP echo server that answers each connection with "<tag> <remote address>". */
const SERVER = `
const net = require('node:net');
const [port, tag] = process.argv.slice(1);
net.createServer(s => { s.end(tag + ' ' + s.remoteAddress.replace(/^::ffff:/, '')); s.on('error', () => {}); })
  .listen(Number(port), '0.0.0.0', () => console.log('listening'));
`;

const CLIENT = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port), timeout: 3000 }, () => {});
let out = '';
s.on('data', d => { out += d; });
s.on('end', () => { console.log(out); process.exit(0); });
s.on('timeout', () => { console.error('timeout'); process.exit(2); });
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
export interface Server { child: ResultPromise }

export async function startServer(ns: string | undefined, port: number, tag: string): Promise<Server> {
  const [cmd, args] = inNs(ns, process.execPath, ['-e', SERVER, String(port), tag]);
  const child = execa(cmd, args, { reject: false, stdin: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server in ${ns} did not start`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => { if (String(d).includes('listening')) { clearTimeout(t); resolve(); } });
    void child.then(r => { clearTimeout(t); reject(new Error(`server in ${ns} exited: ${String(r.stderr)}`)); });
  });
  return { child };
}

export async function stopServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.child.kill('SIGKILL');
  await server.child.catch(() => undefined);
}

/** Connect from ns (or the host) and return what the server said, or the error code. */
export async function connect(ns: string | undefined, host: string, port: number): Promise<{ ok: boolean; text: string }> {
  const [cmd, args] = inNs(ns, process.execPath, ['-e', CLIENT, host, String(port)]);
  const r = await execa(cmd, args, { reject: false, stdin: 'ignore', timeout: 15_000 });
  return { ok: r.exitCode === 0, text: r.exitCode === 0 ? String(r.stdout).trim() : String(r.stderr).trim() };
}

/** Resolve a name inside ns the way the C library does (/etc/hosts first). */
export async function lookup(ns: string, name: string): Promise<string> {
  const r = await execa('ip', ['netns', 'exec', ns, process.execPath, '-e', LOOKUP, name], { reject: false, stdin: 'ignore', timeout: 15_000 });
  return r.exitCode === 0 ? String(r.stdout).trim() : `error ${String(r.stderr).trim()}`;
}

/** `ip netns exec NAME` bind-mounts /etc/netns/NAME/hosts over /etc/hosts: the stand-in container's /etc/hosts. */
export async function etcNetnsDir(ns: string): Promise<string> {
  const dir = `/etc/netns/${ns}`;
  await mkdir(dir, { recursive: true });
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
