import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { freePort } from '../helpers/registry.js';
import { MIRROR_CACHE, DEBIAN_MIRROR } from '../helpers/debian.js';
import { POSTROJ } from '../helpers/cli.js';

/**
 * racker run on private networks and with named volumes: real bridges,
 * namespaces, nft rules and volumes; traffic only to 127.0.0.1 and to the
 * containers this file starts.
 */
let t: Awaited<ReturnType<typeof tempRoot>>;
const BUSYBOX = `${inject('registry')}/fixtures/busybox:latest`;
const rk = (args: string[], opts = {}) => racker(t.root, args, opts);
const made = { networks: [] as string[], volumes: [] as string[] };

beforeAll(async () => {
  t = await tempRoot('run-network');
  expect((await rk(['pull', '-q', '--tls-verify=false', BUSYBOX])).exitCode).toBe(0);
});
afterAll(async () => {
  for (const c of (await rk(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean)) await rk(['rm', '-f', '-v', c]);
  for (const n of [...made.networks, 'racker']) await rk(['network', 'rm', n]);
  for (const v of made.volumes) await rk(['volume', 'rm', '-f', v]);
  await t.remove();
});

async function network(): Promise<string> {
  const n = uniqueName('net');
  expect((await rk(['network', 'create', n])).exitCode).toBe(0);
  made.networks.push(n);
  return n;
}

/** busybox httpd serving one page from /www, detached. */
async function webServer(name: string, args: string[], page: string) {
  const r = await rk(['run', '-d', '--name', name, ...args, BUSYBOX, 'sh', '-c', `mkdir -p /www && echo ${page} > /www/index.html && exec busybox httpd -f -p 80 -h /www`]);
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout;
}

async function hostLeftovers(id: string): Promise<string[]> {
  const out: string[] = [];
  const ns = (await execa('ip', ['netns', 'list'], { reject: false })).stdout;
  if (ns.includes(`rk-${id.slice(0, 12)}`)) out.push('namespace');
  const links = (await execa('ip', ['-o', 'link'], { reject: false })).stdout;
  if (links.includes(`rk-${id.slice(0, 8)}`)) out.push('veth');
  const nft = (await execa('nft', ['list', 'tables'], { reject: false })).stdout;
  if (nft.includes(`racker-p-${id.slice(0, 12)}`)) out.push('port table');
  return out;
}

describe('private networks', () => {
  it('two containers talk by name and alias; a recreated one is found again', async () => {
    const n = await network();
    const web = uniqueName('web');
    await webServer(web, ['--network', n, '--network-alias', 'www'], 'hello-by-name');
    for (const host of [web, 'www']) {
      const r = await rk(['run', '--rm', '--network', n, BUSYBOX, 'busybox', 'wget', '-qO-', `http://${host}/`]);
      expect(r.stdout, r.stderr).toBe('hello-by-name');
    }
    expect((await rk(['rm', '-f', web])).exitCode).toBe(0);
    await webServer(web, ['--network', n], 'hello-again');
    const again = await rk(['run', '--rm', '--network', n, BUSYBOX, 'busybox', 'wget', '-qO-', `http://${web}/`]);
    expect(again.stdout, again.stderr).toBe('hello-again');
  });

  it('/proc/sys/net is writable with NET_ADMIN in a network namespace of its own, read-only otherwise', async () => {
    const n = await network();
    const write = ['sh', '-c', 'echo 1 > /proc/sys/net/ipv4/conf/lo/route_localnet && cat /proc/sys/net/ipv4/conf/lo/route_localnet'];
    const own = await rk(['run', '--rm', '--network', n, '--cap-add', 'NET_ADMIN', BUSYBOX, ...write]);
    expect([own.exitCode, own.stdout], own.stderr).toEqual([0, '1']);
    const without = await rk(['run', '--rm', '--network', n, BUSYBOX, ...write]);
    expect(without.exitCode).not.toBe(0);
    // the host's own namespace is never opened up this way (tried by writing back the value it has)
    const same = ['sh', '-c', 'f=/proc/sys/net/ipv4/conf/lo/route_localnet; v=$(cat $f) && echo $v > $f'];
    const hostNet = await rk(['run', '--rm', '--cap-add', 'NET_ADMIN', BUSYBOX, ...same]);
    expect(hostNet.exitCode).not.toBe(0);
  });

  it('a published port answers on 127.0.0.1; the same host port twice is 125 with one line', async () => {
    const port = await freePort();
    const web = uniqueName('pub');
    await webServer(web, ['-p', `${port}:80`], 'published');
    let body = '';
    for (let i = 0; i < 50 && body !== 'published'; i++) {
      body = (await execa('busybox', ['wget', '-qO-', `http://127.0.0.1:${port}/`], { reject: false, timeout: 5_000 })).stdout;
      if (body !== 'published') await new Promise(r => setTimeout(r, 100));
    }
    expect(body).toBe('published');
    const ps = await rk(['inspect', '-f', '{{json .NetworkSettings.Ports}}', web]);
    expect(ps.stdout).toContain(String(port));
    const second = await rk(['run', '--rm', '-p', `${port}:80`, BUSYBOX, 'true']);
    expect(second.exitCode).toBe(125);
    expect(second.stderr).toMatch(new RegExp(`host port ${port}/tcp is already published`));
    expect(second.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  });

  it('--network none has only lo; --network host keeps the host\'s; -p with none is refused', async () => {
    const none = await rk(['run', '--rm', '--network', 'none', BUSYBOX, 'cat', '/proc/net/dev']);
    expect(none.stdout.split('\n').slice(2).map(l => l.split(':')[0].trim())).toEqual(['lo']);
    const host = await rk(['run', '--rm', '--network', 'host', BUSYBOX, 'cat', '/proc/net/dev']);
    expect(host.stdout.split('\n').length).toBeGreaterThan(3);
    const bad = await rk(['run', '--rm', '--network', 'none', '-p', '8080:80', BUSYBOX, 'true']);
    expect(bad.exitCode).toBe(125);
    expect((await rk(['run', '--rm', '--network', uniqueName('nosuch'), BUSYBOX, 'true'])).stderr).toMatch(/network .* not found/);
  });

  it('/sys/class/net lists only the container\'s links with --network none and on a network; the host network shows the host\'s', async () => {
    const n = await network();
    const bridge = (JSON.parse((await rk(['network', 'inspect', n])).stdout) as { Options: Record<string, string> }[])[0].Options['com.docker.network.bridge.name'];
    const sysNet = async (mode: string) => {
      const r = await rk(['run', '--rm', '--network', mode, BUSYBOX, 'ls', '/sys/class/net']);
      expect(r.exitCode, r.stderr).toBe(0);
      return r.stdout.split(/\s+/).filter(Boolean).sort();
    };
    expect(await sysNet('none')).toEqual(['lo']);
    expect(await sysNet(n)).toEqual(['eth0', 'lo']);
    expect(await sysNet('host')).toContain(bridge);
    // another container's namespace: its links
    const web = uniqueName('sysweb');
    await webServer(web, ['--network', n], 'sys');
    expect(await sysNet(`container:${web}`)).toEqual(['eth0', 'lo']);
    expect((await rk(['rm', '-f', web])).exitCode).toBe(0);
  });

  it('kill -9 of nspawn, then ps / rm -f / network rm leave no namespace, veth, rule or lease', async () => {
    const n = await network();
    const port = await freePort();
    const id = await webServer(uniqueName('victim'), ['--network', n, '-p', `127.0.0.1:${port}:80`], 'x');
    const rec = JSON.parse(await readFile(path.join(t.root, 'containers', id, 'config.json'), 'utf8')) as { state: { nspawnPid: number } };
    process.kill(rec.state.nspawnPid, 'SIGKILL');
    for (let i = 0; i < 100 && (await rk(['ps', '-q'])).stdout.includes(id.slice(0, 12)); i++) await new Promise(r => setTimeout(r, 100));
    expect((await rk(['rm', '-f', id])).exitCode).toBe(0);
    expect(await hostLeftovers(id)).toEqual([]);
    expect((await rk(['network', 'rm', n])).exitCode).toBe(0);
    made.networks = made.networks.filter(x => x !== n);
  });

  it('50 create/remove cycles leave no namespace, link, rule or lease', async () => {
    const n = await network();
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const r = await rk(['run', '-d', '--rm', '--network', n, '-p', '80', BUSYBOX, 'true']);
      expect(r.exitCode, r.stderr).toBe(0);
      ids.push(r.stdout);
    }
    // each one ran, exited and was removed by its supervisor; other test files' containers are not looked at
    for (let i = 0; i < 100 && ids.some(id => existsSync(path.join(t.root, 'containers', id))); i++) await new Promise(r => setTimeout(r, 100));
    for (const id of ids) {
      expect(existsSync(path.join(t.root, 'containers', id))).toBe(false);
      expect(await hostLeftovers(id)).toEqual([]);
    }
    const leases = JSON.parse(await readFile(path.join(t.root, 'networks', `${n}.leases.json`), 'utf8').catch(() => '{}')) as Record<string, unknown>;
    expect(Object.keys(leases)).toEqual([]);
    const inspect = JSON.parse((await rk(['network', 'inspect', n])).stdout) as { Containers: Record<string, unknown> }[];
    expect(inspect[0].Containers).toEqual({});
  }, 300_000);
});

describe('named volumes', () => {
  it('a volume survives rm and is seen by the next container; an empty one is filled from the image', async () => {
    const v = uniqueName('data');
    made.volumes.push(v);
    expect((await rk(['run', '--rm', '-v', `${v}:/data`, BUSYBOX, 'sh', '-c', 'echo kept > /data/f'])).exitCode).toBe(0);
    const r = await rk(['run', '--rm', '-v', `${v}:/data:ro`, BUSYBOX, 'cat', '/data/f']);
    expect(r.stdout).toBe('kept');
    const ro = await rk(['run', '--rm', '-v', `${v}:/data:ro`, BUSYBOX, 'sh', '-c', 'echo x > /data/g']);
    expect(ro.exitCode).not.toBe(0);
  });

  it('--tmpfs and --read-only; an anonymous volume goes with --rm', async () => {
    const r = await rk(['run', '--rm', '--read-only', '--tmpfs', '/scratch:size=1m', BUSYBOX, 'sh', '-c', 'echo a > /scratch/x && cat /scratch/x && (echo b > /etc/y 2>/dev/null && echo writable || echo read-only)']);
    expect(r.stdout.split('\n')).toEqual(['a', 'read-only']);
    const before = (await rk(['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
    expect((await rk(['run', '--rm', '-v', '/anon', BUSYBOX, 'sh', '-c', 'echo x > /anon/f'])).exitCode).toBe(0);
    expect((await rk(['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean)).toEqual(before);
  });
});

describe('the outside world from a private network', () => {
  it('apt-get update works in a booted Debian container on a private network (NAT to the Debian mirror)', async () => {
    const env = { ...process.env, RACKER_MIRROR_CACHE: path.join(MIRROR_CACHE, 'mirror') };
    const pull = await execa(POSTROJ, ['--root', t.root, 'pull', 'debian-bookworm', '--source', 'mirror', '--mirror', DEBIAN_MIRROR], { reject: false, env, timeout: 20 * 60_000 });
    expect(pull.stdout + pull.stderr).toContain('debian-bookworm: ready');
    const n = await network();
    const r = await rk(['run', '--rm', '--network', n, 'debian-bookworm', 'apt-get', 'update', '-q'], { timeout: 300_000 });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Reading package lists/);
    // an empty volume mounted over a directory of the image starts with the image's content there
    const filled = uniqueName('docs');
    made.volumes.push(filled);
    const ls = await rk(['run', '--rm', '--no-boot', '-v', `${filled}:/etc/apt`, 'debian-bookworm', 'ls', '/etc/apt']);
    expect(ls.stdout.split('\n'), ls.stderr).toContain('sources.list');
    const again = await rk(['run', '--rm', '--no-boot', '-v', `${filled}:/srv/elsewhere`, 'debian-bookworm', 'ls', '/srv/elsewhere']);
    expect(again.stdout.split('\n')).toContain('sources.list');
  }, 600_000);
});
