import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdtemp, open, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { constants, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { racker, RACKER, REPO, tempRoot, uniqueName } from '../helpers/cli.js';
import { attempt, connect, etcNetnsDir, fakeId, links, lookup, makeNeighbour, netnsNames, nftTables, removeEtcNetns, removeNeighbour, routeLoopbackVia, startServer, stopServer, type Neighbour, type Server } from '../helpers/netns.js';
import { NetworkManager } from '../../src/network/manager.js';
import { RackerError } from '../../src/errors.js';
import { netnsName } from '../../src/network/links.js';

/**
 * Real bridges, namespaces and nft rules. Plain network namespaces stand in
 * for containers (the engine hands nspawn the same namespace); traffic goes
 * only to addresses these tests made, and 127.0.0.1.
 */
let t: Awaited<ReturnType<typeof tempRoot>>;
let runDir: string;
let m: NetworkManager;
const servers: Server[] = [];
const containers = new Set<string>();
const networks = new Set<string>();

beforeAll(async () => {
  t = await tempRoot('network');
  runDir = await mkdtemp(path.join(tmpdir(), 'racker-test-netrun-'));
  m = new NetworkManager({
    root: t.root, runDir,
    // the stand-in's /etc/hosts: ip netns exec mounts /etc/netns/<ns>/hosts over it
    onHostsChanged: async (id, hosts) => { await writeFile(path.join(await etcNetnsDir(netnsName(id)), 'hosts'), hosts); },
  });
});

afterEach(async () => {
  for (const s of servers.splice(0)) await stopServer(s);
  for (const id of containers) { await m.release(id); await removeEtcNetns(netnsName(id)); }
  containers.clear();
  for (const n of networks) await m.remove(n).catch(() => undefined);
  networks.clear();
});

afterAll(async () => {
  await t?.remove();
  if (runDir) await rm(runDir, { recursive: true, force: true });
});

async function network(): Promise<string> {
  const name = uniqueName('net');
  const r = await racker(t.root, ['network', 'create', name]);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  networks.add(name);
  return name;
}

async function container(net: string, name: string, opts: { aliases?: string[]; ip?: string } = {}) {
  const id = fakeId();
  containers.add(id);
  const a = await m.attach(net, id, { name, aliases: opts.aliases, ip: opts.ip });
  const hosts = await m.hostsFor(id);
  await writeFile(path.join(await etcNetnsDir(netnsName(id)), 'hosts'), hosts);
  return { id, ns: netnsName(id), ...a };
}

async function server(ns: string | undefined, port: number, tag: string) {
  servers.push(await startServer(ns, port, tag));
}

describe('private networks', () => {
  it('two containers reach each other by address and by name and alias, also after one is recreated', async () => {
    const net = await network();
    const a = await container(net, uniqueName('ctr-a'));
    const bName = uniqueName('ctr-b');
    const b = await container(net, bName, { aliases: ['db'] });
    expect(a.netnsPath).toBe(`/run/netns/${a.ns}`);
    expect(a.ifname).toBe('eth0');
    expect(await links(a.ns)).toEqual(['lo', 'eth0']);
    await server(b.ns, 8080, 'b');
    expect(await connect(a.ns, b.ip, 8080)).toEqual({ ok: true, text: `b ${a.ip}` });
    expect(await lookup(a.ns, bName)).toBe(b.ip);
    expect(await lookup(a.ns, 'db')).toBe(b.ip);

    // recreated: a new id, the same name; a's hosts file follows
    await stopServer(servers.pop());
    await m.release(b.id);
    await removeEtcNetns(b.ns);
    containers.delete(b.id);
    expect(await lookup(a.ns, bName)).toMatch(/^error/);
    const b2 = await container(net, bName, { ip: '10.89.0.200'.replace(/^10\.89\.0\./, a.ip.replace(/\.\d+$/, '.')) });
    expect(b2.ip).not.toBe(b.ip);
    await server(b2.ns, 8080, 'b2');
    expect(await lookup(a.ns, bName)).toBe(b2.ip);
    expect(await connect(a.ns, bName, 8080)).toEqual({ ok: true, text: `b2 ${a.ip}` });
  });

  it('a published port answers on 127.0.0.1 from the host; the same host port twice is refused with 125', async () => {
    const net = await network();
    const c = await container(net, uniqueName('web'));
    await server(c.ns, 80, 'web');
    const [p] = await m.publish(c.id, [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
    expect(p.hostPort).toBeGreaterThan(0);
    const r = await connect(undefined, '127.0.0.1', p.hostPort);
    expect(r.ok).toBe(true);
    expect(r.text).toMatch(/^web /);

    const other = await container(net, uniqueName('web2'));
    const err = await m.publish(other.id, [{ hostPort: p.hostPort, containerPort: 80, protocol: 'tcp' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RackerError);
    expect((err as RackerError).exitCode).toBe(125);
    expect((err as RackerError).message).toBe(`host port ${p.hostPort}/tcp is already published by another container`);
    // the first one still answers
    expect((await connect(undefined, '127.0.0.1', p.hostPort)).ok).toBe(true);
    // unpublished on release: nothing answers any more, the claim is gone
    await m.release(c.id);
    expect((await connect(undefined, '127.0.0.1', p.hostPort)).ok).toBe(false);
    expect(await readdir(path.join(runDir, 'ports'))).toEqual([]);
  });

  it('--network none: a namespace with only lo', async () => {
    const id = fakeId();
    containers.add(id);
    const p = await m.isolate(id);
    expect(p).toBe(`/run/netns/${netnsName(id)}`);
    expect(await links(netnsName(id))).toEqual(['lo']);
    await m.release(id);
    expect(await netnsNames()).not.toContain(netnsName(id));
  });

  it('50 attach/publish/release cycles leave no namespace, link, rule or lease', async () => {
    const net = await network();
    // other test files make containers at the same time: look at what these cycles made, by name
    const made: string[] = [];
    for (let i = 0; i < 50; i++) {
      const c = await container(net, uniqueName('cycle'));
      made.push(c.id);
      await m.publish(c.id, [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
      await m.release(c.id);
      await m.release(c.id); // twice is harmless
      containers.delete(c.id);
      await removeEtcNetns(c.ns);
    }
    const [allLinks, allTables, allNs] = [await links(), await nftTables(), await netnsNames()];
    for (const id of made) {
      expect(allNs).not.toContain(netnsName(id));
      expect(allLinks.filter(l => l.startsWith(`rk-${id.slice(0, 9)}`))).toEqual([]);
      expect(allTables.filter(tb => tb.includes(id.slice(0, 12)))).toEqual([]);
    }
    expect(existsSync(path.join(t.root, 'networks', `${net}.leases.json`))).toBe(false);
    expect(await readdir(path.join(t.root, 'networks', 'netns'))).toEqual([]);
    expect(await readdir(path.join(runDir, 'ports'))).toEqual([]);
  });

  it('reap() removes what a dead container left', async () => {
    const net = await network();
    const alive = await container(net, uniqueName('alive'));
    const dead = await container(net, uniqueName('dead'));
    await m.publish(dead.id, [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
    const reaped = await m.reap(id => id === alive.id);
    expect(reaped).toEqual([dead.id]);
    expect(await netnsNames()).not.toContain(dead.ns);
    expect((await links()).filter(l => l.startsWith(`rk-${dead.id.slice(0, 9)}`))).toEqual([]);
    expect(await nftTables()).not.toContain(`table ip racker-p-${dead.id.slice(0, 12)}`);
    expect(Object.keys((await m.inspect(net)).Containers as object)).toEqual([alive.id]);
    await removeEtcNetns(dead.ns);
  });

  it('bad input to network create is one line and 125', async () => {
    const bad = await racker(t.root, ['network', 'create', '--subnet', '10.89.0.1/24', uniqueName('bad')]);
    expect(bad.exitCode).toBe(125);
    expect(bad.stderr).toBe("racker: invalid subnet '10.89.0.1/24'\nhint: an IPv4 network in CIDR form whose address is its first, /8 to /29, e.g. 10.90.0.0/24");
    const net = await network();
    const again = await racker(t.root, ['network', 'create', net]);
    expect(again.exitCode).toBe(125);
    expect(again.stderr).toContain(`racker: network with name ${net} already exists`);
    // a subnet this host already routes (the one of its own uplink, whatever it is here)
    const routes = JSON.parse((await execa('ip', ['-j', '-4', 'route', 'show', 'scope', 'link'])).stdout) as { dst: string; dev: string }[];
    const used = routes.find(r => /^\d+\.\d+\.\d+\.\d+\/(1[6-9]|2\d)$/.test(r.dst) && !r.dev.startsWith('rk-'))?.dst;
    expect(used, 'a link route of this host').toBeTruthy();
    const host = await racker(t.root, ['network', 'create', '--subnet', used!, uniqueName('hostnet')]);
    expect(host.exitCode).toBe(125);
    expect(host.stderr).toMatch(new RegExp(`^racker: subnet ${used!.replace(/[./]/g, '\\$&')} overlaps `));
    const rm = await racker(t.root, ['network', 'rm', uniqueName('missing')]);
    expect(rm.exitCode).toBe(125);
    expect(rm.stderr).toMatch(/^racker: No such network: missing-[0-9a-f]{8}\n/);
  });

  it('network rm refuses while a container uses the network, then removes bridge and rules', async () => {
    const net = await network();
    const name = uniqueName('user');
    const c = await container(net, name);
    const inspect = JSON.parse((await racker(t.root, ['network', 'inspect', net])).stdout) as Record<string, unknown>[];
    expect(inspect[0]).toMatchObject({ Name: net, Driver: 'bridge', Internal: false, Containers: { [c.id]: { Name: name, IPv4Address: `${c.ip}/24` } } });
    const id = inspect[0].Id as string;
    const bridge = `rk-br-${id.slice(0, 8)}`;
    expect(await links()).toContain(bridge);
    const refused = await racker(t.root, ['network', 'rm', net]);
    expect(refused.exitCode).toBe(125);
    expect(refused.stderr).toContain(`network ${net} is in use by container ${c.id.slice(0, 12)} (${name})`);
    await m.release(c.id);
    const ok = await racker(t.root, ['network', 'rm', net]);
    expect(ok.exitCode).toBe(0);
    networks.delete(net);
    expect(await links()).not.toContain(bridge);
    expect(await nftTables()).not.toContain(`table ip racker-n-${id.slice(0, 12)}`);
    expect((await racker(t.root, ['network', 'ls', '--format', 'json'])).stdout).toBe('');
  });

  it('the network\'s up-marker is not trusted once its bridge is made again or it is a minute old; network rm removes it', async () => {
    const net = await network();
    const id = (await m.inspect(net)).Id as string;
    const bridge = `rk-br-${id.slice(0, 8)}`;
    const table = `racker-n-${id.slice(0, 12)}`;
    const marker = path.join(runDir, 'networks', id);
    const a = await container(net, uniqueName('first'));
    // only where /sys shows this network namespace's links (not in a container whose /sys is the host's): there is
    // no marker otherwise, and every start checks the bridge and the rules
    expect(existsSync(marker)).toBe(existsSync(`/sys/class/net/${bridge}`));
    await m.release(a.id);
    await removeEtcNetns(a.ns);
    containers.delete(a.id);

    // bridge and rules gone behind racker's back (as after `ip link del`): the next attach sees the bridge missing
    await execa('ip', ['link', 'del', 'dev', bridge]);
    await execa('nft', ['delete', 'table', 'ip', table]);
    const b = await container(net, uniqueName('second'));
    expect(await links()).toContain(bridge);
    expect(await nftTables()).toContain(`table ip ${table}`);
    const c = await container(net, uniqueName('third'));
    await server(b.ns, 8080, 'b');
    expect(await connect(c.ns, b.ip, 8080)).toEqual({ ok: true, text: `b ${c.ip}` });

    // rules flushed with the bridge kept (a firewall reload): put back by the first attach after the marker's minute
    await execa('nft', ['delete', 'table', 'ip', table]);
    const old = new Date(Date.now() - 120_000);
    await utimes(marker, old, old);
    await container(net, uniqueName('fourth'));
    expect(await nftTables()).toContain(`table ip ${table}`);

    await stopServer(servers.pop());
    for (const x of [...containers]) { await m.release(x); await removeEtcNetns(netnsName(x)); containers.delete(x); }
    await m.remove(net);
    networks.delete(net);
    expect(existsSync(marker)).toBe(false);
    expect(await links()).not.toContain(bridge);
  });
});

describe('what containers and the host\'s link reach', () => {
  let nb: Neighbour | undefined;
  afterEach(async () => { await removeNeighbour(nb); nb = undefined; });

  it('a neighbour routing the subnet through the host reaches published ports only, and no port published on 127.0.0.1', async () => {
    const net = await network();
    const c = await container(net, uniqueName('web'));
    const open = await startServer(c.ns, 8080, 'open');
    const hidden = await startServer(c.ns, 8081, 'hidden');
    const local = await startServer(c.ns, 8082, 'local');
    servers.push(open, hidden, local);
    const [pub] = await m.publish(c.id, [{ hostPort: 0, containerPort: 8080, protocol: 'tcp' }]);
    const [lo] = await m.publish(c.id, [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: 8082, protocol: 'tcp' }]);
    nb = await makeNeighbour();
    const subnet = (await m.inspect(net)).IPAM as { Config: { Subnet: string }[] };
    await execa('ip', ['-n', nb.ns, 'route', 'add', subnet.Config[0].Subnet, 'via', nb.hostIp]);
    await routeLoopbackVia(nb.ns, nb.hostIp, 'eth0', nb.ip);

    // each forbidden attempt first; the allowed connection after it takes the same path: once that is answered, the
    // forbidden SYN has arrived wherever it was going to
    const direct = await attempt(nb.ns, c.ip, 8081);
    const viaLoopback = await attempt(nb.ns, '127.0.0.1', lo.hostPort);
    try {
      expect(await connect(nb.ns, nb.hostIp, pub.hostPort)).toEqual({ ok: true, text: `open ${nb.ip}` });
      expect({ unpublished: hidden.seen, publishedOnLoopback: local.seen }).toEqual({ unpublished: [], publishedOnLoopback: [] });
    } finally {
      await direct.stop();
      await viaLoopback.stop();
    }
    // the host's own 127.0.0.1 still reaches the port published there
    expect((await connect(undefined, '127.0.0.1', lo.hostPort)).text).toMatch(/^local /);
  });

  it('a container does not reach what the host binds to 127.0.0.1, even routing 127.0.0.1 via its gateway (CVE-2020-8558)', async () => {
    const net = await network();
    const gateway = ((await m.inspect(net)).IPAM as { Config: { Gateway: string }[] }).Config[0].Gateway;
    const c = await container(net, uniqueName('evil'));
    const secret = await startServer(undefined, 0, 'secret', '127.0.0.1');
    const allowed = await startServer(undefined, 0, 'gateway', gateway);
    servers.push(secret, allowed);
    await routeLoopbackVia(c.ns, gateway, c.ifname, c.ip);
    const sneak = await attempt(c.ns, '127.0.0.1', secret.port);
    try {
      expect(await connect(c.ns, gateway, allowed.port)).toEqual({ ok: true, text: `gateway ${c.ip}` });
      expect(secret.seen).toEqual([]);
    } finally {
      await sneak.stop();
    }
  });
});

describe('network create killed', () => {
  it('kill -9 between the bridge and the record: prune removes the bridge, and its subnet is free for the next create', async () => {
    // an nft on PATH that passes --version through but keeps `nft -f` (the network's rules, right after the bridge):
    // it saves the rules (they name the bridge), says so through a fifo the test reads, and waits on another
    const bin = await mkdtemp(path.join(tmpdir(), 'racker-test-nfthold-'));
    const [held, hold] = [path.join(bin, 'held'), path.join(bin, 'hold')];
    await execa('mkfifo', [held, hold]);
    await writeFile(path.join(bin, 'nft'), `#!/bin/sh\nif [ "$1" = -f ]; then cat > ${bin}/rules; echo $$ > ${held}; exec cat ${hold}; fi\nexec nft "$@"\n`.replace('exec nft', `exec ${(await execa('sh', ['-c', 'command -v nft'])).stdout}`), { mode: 0o755 });
    const name = uniqueName('killed');
    const create = execa(RACKER, ['--root', t.root, 'network', 'create', name], { reject: false, stdin: 'ignore', env: { PATH: `${bin}:${process.env.PATH}` } });
    let holder: number | undefined;
    let bridge: string | undefined;
    try {
      // the event: create is inside `nft -f`, its bridge made; or create ended first (then say why, do not hang on the fifo)
      holder = Number(await Promise.race([readFile(held, 'utf8'), create.then(r => {
        throw new Error(`network create ended (${r.exitCode}) before it made its rules: ${r.stderr}`);
      })]));
      bridge = /"(rk-br-[0-9a-f]{8})"/.exec(await readFile(path.join(bin, 'rules'), 'utf8'))?.[1];
      expect(bridge).toBeDefined();
      create.kill('SIGKILL');
      await create;
      const subnet = (JSON.parse((await execa('ip', ['-j', 'addr', 'show', 'dev', bridge!])).stdout) as { addr_info: { local: string; prefixlen: number }[] }[])[0].addr_info[0];
      expect((await racker(t.root, ['network', 'ls', '-q'])).stdout).toBe('');

      const pruned = await racker(t.root, ['network', 'prune']);
      expect(pruned.exitCode, pruned.stderr).toBe(0);
      expect(await links()).not.toContain(bridge);
      const cidr = `${subnet.local.replace(/\.\d+$/, '.0')}/${subnet.prefixlen}`;
      const again = uniqueName('again');
      const r = await racker(t.root, ['network', 'create', '--subnet', cidr, again]);
      expect(r.stderr).toBe('');
      networks.add(again);
      expect(await readdir(path.join(t.root, 'networks', 'creating'))).toEqual([]);
    } finally {
      create.kill('SIGKILL');
      await create.catch(() => undefined);
      if (holder) { try { process.kill(holder, 'SIGKILL'); } catch { /* gone */ } }
      // a read of the fifo still waiting (create ended first) gets its end of file: a writer that opens and closes
      await open(held, constants.O_WRONLY | constants.O_NONBLOCK).then(fh => fh.close(), () => undefined);
      if (bridge && (await links()).includes(bridge)) await execa('ip', ['link', 'del', bridge], { reject: false });
      await rm(bin, { recursive: true, force: true });
    }
  });
});

describe('forwarding turned on by network create', () => {
  // R plays the host, so its forwarding and FORWARD policy are the test's to set
  const R = uniqueName('rk-test-fwdpol');
  const driver = path.join(REPO, 'test/helpers/network-driver.mjs');
  let inner: Awaited<ReturnType<typeof tempRoot>> | undefined;
  let innerRun: string | undefined;
  const made: string[] = [];
  const inR = (cmd: string, args: string[]) => execa('ip', ['netns', 'exec', R, cmd, ...args], { reject: false });
  async function call(op: string, ...args: unknown[]) {
    const r = await execa('/usr/bin/nsenter', [`--net=/run/netns/${R}`, process.execPath, driver, JSON.stringify({ root: inner!.root, runDir: innerRun, op, args })], { reject: false });
    if (r.exitCode !== 0) throw new Error(`${op}: ${String(r.stderr)}`);
    return JSON.parse(String(r.stdout)) as Record<string, unknown>;
  }
  afterAll(async () => {
    for (const n of made) await call('remove', n).catch(() => undefined);
    await execa('ip', ['netns', 'del', R], { reject: false });
    await inner?.remove();
    if (innerRun) await rm(innerRun, { recursive: true, force: true });
  });

  it('where it was off, iptables FORWARD becomes drop (the host routes for nobody else); where it was on, the policy stays', async () => {
    inner = await tempRoot('network-fwdpol');
    innerRun = await mkdtemp(path.join(tmpdir(), 'racker-test-netrun-'));
    await execa('ip', ['netns', 'add', R]);
    await execa('ip', ['-n', R, 'link', 'set', 'lo', 'up']);
    expect((await inR('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=0'])).exitCode).toBe(0);
    expect((await inR('iptables', ['-P', 'FORWARD', 'ACCEPT'])).exitCode).toBe(0);

    const a = await call('create', { name: 'a' }) as { bridge: string };
    made.push('a');
    expect((await inR('sysctl', ['-n', 'net.ipv4.ip_forward'])).stdout).toBe('1');
    const rules = (await inR('iptables', ['-S'])).stdout.split('\n');
    expect(rules).toContain('-P FORWARD DROP');
    // the network's own traffic still passes: out of the bridge, and into it replies and published ports
    expect(rules).toContain(`-A RACKER-FORWARD -i ${a.bridge} -j ACCEPT`);
    expect(rules).toContain(`-A RACKER-FORWARD -o ${a.bridge} -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT`);

    // forwarding on already (the admin's choice): the policy is left as it is
    await call('remove', 'a');
    made.splice(0);
    expect((await inR('iptables', ['-P', 'FORWARD', 'ACCEPT'])).exitCode).toBe(0);
    await call('create', { name: 'b' });
    made.push('b');
    expect((await inR('iptables', ['-S', 'FORWARD'])).stdout.split('\n')).toContain('-P FORWARD ACCEPT');
  });
});

// the same on a host with nft (racker's tables) and on one without (iptables chains RACKER-*)
describe.each(['nft', 'iptables'] as const)('a host whose iptables FORWARD policy is drop (docker, ufw), firewall through %s', (backend) => {
  // everything in namespaces this test makes: R plays the host, O the outside world
  const R = uniqueName('rk-test-host');
  const O = uniqueName('rk-test-out');
  const driver = path.join(REPO, 'test/helpers/network-driver.mjs');
  let inner: Awaited<ReturnType<typeof tempRoot>> | undefined;
  let innerRun: string | undefined;
  let bin: string | undefined;
  const ids: string[] = [];

  async function call(op: string, ...args: unknown[]) {
    // nsenter, not ip netns exec: that one's private mount namespace would hide the namespaces racker mounts
    const env = bin ? { PATH: bin } : {};
    const r = await execa('/usr/bin/nsenter', [`--net=/run/netns/${R}`, process.execPath, driver, JSON.stringify({ root: inner!.root, runDir: innerRun, op, args })], { reject: false, env });
    if (r.exitCode !== 0) throw new Error(`${op}: ${String(r.stderr)}`);
    return JSON.parse(String(r.stdout)) as Record<string, unknown>;
  }
  const inR = (cmd: string, args: string[]) => execa('ip', ['netns', 'exec', R, cmd, ...args], { reject: false });

  afterAll(async () => {
    for (const s of servers.splice(0)) await stopServer(s);
    for (const id of ids) await call('release', id).catch(() => undefined);
    await execa('ip', ['netns', 'del', R], { reject: false });
    await execa('ip', ['netns', 'del', O], { reject: false });
    await inner?.remove();
    if (innerRun) await rm(innerRun, { recursive: true, force: true });
    if (bin) await rm(bin, { recursive: true, force: true });
  });

  it('containers reach the outside through NAT and each other; a published port answers on 127.0.0.1; nothing is left', async () => {
    inner = await tempRoot('network-fwd');
    innerRun = await mkdtemp(path.join(tmpdir(), 'racker-test-netrun-'));
    if (backend === 'iptables') {
      // a PATH with the tools racker uses but no nft
      bin = await mkdtemp(path.join(tmpdir(), 'racker-test-nonft-'));
      for (const tool of ['ip', 'iptables', 'iptables-restore']) await symlink(`/usr/sbin/${tool}`, path.join(bin, tool));
    }
    const sh = async (args: string[]) => { await execa('ip', args); };
    await sh(['netns', 'add', R]);
    await sh(['netns', 'add', O]);
    const up = `rk-t${fakeId().slice(0, 8)}`;
    await sh(['-n', R, 'link', 'add', up, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', O]);
    await sh(['-n', R, 'addr', 'add', '192.0.2.201/30', 'dev', up]);
    await sh(['-n', R, 'link', 'set', up, 'up']);
    await sh(['-n', R, 'link', 'set', 'lo', 'up']);
    await sh(['-n', O, 'addr', 'add', '192.0.2.202/30', 'dev', 'eth0']);
    await sh(['-n', O, 'link', 'set', 'eth0', 'up']);
    await sh(['-n', O, 'link', 'set', 'lo', 'up']);
    // what docker does to the host's filter table
    expect((await inR('iptables', ['-P', 'FORWARD', 'DROP'])).exitCode).toBe(0);

    const net = (await call('create', { name: 'fwd' })) as { subnet: string; gateway: string };
    expect(net.subnet).toBe('10.89.0.0/24');
    const a = fakeId(); ids.push(a);
    const b = fakeId(); ids.push(b);
    const ca = await call('attach', 'fwd', a, { name: 'a' }) as { ip: string };
    const cb = await call('attach', 'fwd', b, { name: 'b' }) as { ip: string };
    await server(O, 9000, 'outside');
    await server(netnsName(b), 9001, 'b');
    // masqueraded: the outside sees R's address, not the container's
    expect(await connect(netnsName(a), '192.0.2.202', 9000)).toEqual({ ok: true, text: 'outside 192.0.2.201' });
    // bridged traffic crosses FORWARD too when br_netfilter is loaded
    expect(await connect(netnsName(a), cb.ip, 9001)).toEqual({ ok: true, text: `b ${ca.ip}` });
    // published, reached from R itself as 127.0.0.1 and from the outside as R's address
    await call('publish', b, [{ hostPort: 18080, containerPort: 9001, protocol: 'tcp' }]);
    expect((await connect(R, '127.0.0.1', 18080)).text).toMatch(/^b /);
    // the outside routing the subnet through R reaches the published port only (the attempt's SYN goes first, the
    // published connection after it takes the same path)
    // and nothing published on R's 127.0.0.1; a's packets to R's 127.0.0.1 (routed via its gateway) reach nothing there
    const hidden = await startServer(netnsName(b), 9002, 'hidden');
    const local = await startServer(netnsName(b), 9003, 'local');
    const secret = await startServer(R, 0, 'secret', '127.0.0.1');
    const gw = await startServer(R, 0, 'gateway', net.gateway);
    servers.push(hidden, local, secret, gw);
    await call('publish', b, [{ hostIp: '127.0.0.1', hostPort: 18081, containerPort: 9003, protocol: 'tcp' }]);
    expect((await connect(R, '127.0.0.1', 18081)).text).toMatch(/^local /);
    await execa('ip', ['-n', O, 'route', 'add', net.subnet, 'via', '192.0.2.201']);
    await routeLoopbackVia(O, '192.0.2.201', 'eth0', '192.0.2.202');
    await routeLoopbackVia(netnsName(a), net.gateway, 'eth0', ca.ip);
    const tries = [await attempt(O, cb.ip, 9002), await attempt(O, '127.0.0.1', 18081), await attempt(netnsName(a), '127.0.0.1', secret.port)];
    try {
      expect((await connect(O, '192.0.2.201', 18080)).text).toBe('b 192.0.2.202');
      expect(await connect(netnsName(a), net.gateway, gw.port)).toEqual({ ok: true, text: `gateway ${ca.ip}` });
      // (the one connection to the port published on 127.0.0.1 is R's own, masqueraded to the gateway)
      expect({ unpublished: hidden.seen, publishedOnLoopback: local.seen, hostLoopback: secret.seen }).toEqual({ unpublished: [], publishedOnLoopback: [net.gateway], hostLoopback: [] });
    } finally {
      for (const x of tries) await x.stop();
    }

    // the rules live where the backend puts them
    const natChains = (await inR('iptables', ['-t', 'nat', '-S'])).stdout;
    const tables = await nftTables(R);
    if (backend === 'nft') {
      expect(tables).toContain(`table ip racker-p-${b.slice(0, 12)}`);
      expect(natChains).not.toContain('RACKER-');
    } else {
      expect(tables).not.toContainEqual(expect.stringMatching(/racker-/));
      expect(natChains).toContain(`-A PREROUTING ! -d 127.0.0.0/8 -j RACKER-P-${b.slice(0, 12)}`);
      expect(natChains).toMatch(/-A POSTROUTING -j RACKER-N-[0-9a-f]{12}/);
    }
    const rules = await inR('iptables', ['-S', 'RACKER-FORWARD']);
    expect(rules.stdout).toMatch(/-A RACKER-FORWARD -i rk-br-[0-9a-f]{8} -j ACCEPT/);
    for (const id of ids.splice(0)) await call('release', id);
    await call('remove', 'fwd');
    const fwd = await inR('iptables', ['-S', 'FORWARD']);
    expect(fwd.stdout.split('\n')).toEqual(['-P FORWARD DROP']);
    expect(await nftTables(R)).not.toContainEqual(expect.stringMatching(/racker-/));
    expect((await inR('iptables-save', [])).stdout).not.toContain('RACKER');
    expect(await links(R)).toEqual(['lo', up]);
  });
});

describe('attach refuses', () => {
  it('an alias that would add a line to the other containers\' /etc/hosts, before creating anything', async () => {
    const id = fakeId();
    const err = await m.attach('whatever', id, { name: 'ok', aliases: ['db\n10.0.0.1 evil'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RackerError);
    expect((err as RackerError).message).toBe("invalid network alias or name 'db\n10.0.0.1 evil'");
    expect(await netnsNames()).not.toContain(netnsName(id));
  });
});
