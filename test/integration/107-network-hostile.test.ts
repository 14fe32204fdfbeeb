import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { writeOciLayout } from '../helpers/oci-layout.js';
import { busyboxLayer } from '../helpers/fixture-images.js';
import { buildLayer, type TarEntry } from '../helpers/tar-builder.js';

/**
 * A running container on a network is the attacker while racker rewrites its
 * /etc/hosts (a peer joins or leaves): whatever it does to its /etc, nothing
 * changes on the host, and its peers' names still reach it.
 */
let t: Awaited<ReturnType<typeof tempRoot>>;
let victim: string;
const networks: string[] = [];
const rk = (args: string[], opts = {}) => racker(t.root, args, opts);

beforeAll(async () => {
  t = await tempRoot('network-hostile');
  // not under /tmp: systemd-nspawn mounts a fresh tmpfs there inside the container
  victim = await mkdtemp('/var/tmp/racker-test-victim-');
});
afterAll(async () => {
  for (const c of (await rk(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean)) await rk(['rm', '-f', c]);
  for (const n of networks) await rk(['network', 'rm', n]);
  await t.remove();
  await rm(victim, { recursive: true, force: true });
});

async function imageWith(name: string, entries: TarEntry[]): Promise<string> {
  const dir = path.join(t.root, 'layouts', name);
  await writeOciLayout(dir, { layers: [busyboxLayer(), ...(entries.length ? [buildLayer(entries)] : [])], config: { Cmd: ['sh'] }, tag: 'latest' });
  return `oci:${dir}:latest`;
}

async function network(): Promise<string> {
  const n = uniqueName('hnet');
  expect((await rk(['network', 'create', n])).exitCode).toBe(0);
  networks.push(n);
  return n;
}

/** Peers join and leave `net` one after another: each change rewrites the others' /etc/hosts. */
async function peersComeAndGo(img: string, net: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const r = await rk(['run', '--rm', '--network', net, '--name', uniqueName('peer'), img, 'true']);
    expect(r.exitCode, r.stderr).toBe(0);
  }
}

describe('/etc/hosts of a running container on a network', () => {
  it('a container swapping its /etc for a symlink to a host directory changes nothing there', async () => {
    const img = await imageWith('plain', []);
    const net = await network();
    const name = uniqueName('swapper');
    // /etc is a symlink to the host directory about half the time, a directory the other half
    const loop = `while [ ! -e /stop ]; do mv /etc /etc.real; ln -s ${victim} /etc; rm /etc; mv /etc.real /etc; done; touch /stopped; exec sleep 100000`;
    const r = await rk(['run', '-d', '--name', name, '--network', net, '--add-host', 'added.example:10.1.2.3', img, 'sh', '-c', loop]);
    expect(r.exitCode, r.stderr).toBe(0);
    await peersComeAndGo(img, net, 6);
    const peer = uniqueName('stays');
    expect((await rk(['run', '-d', '--name', peer, '--network', net, img, 'sleep', '100000'])).exitCode).toBe(0);
    // ends the loop, waits for it, then reads the hosts file the container sees
    const seen = await rk(['exec', name, 'sh', '-c', 'touch /stop; while [ ! -e /stopped ]; do :; done; cat /etc/hosts']);
    expect(seen.exitCode, seen.stderr).toBe(0);
    expect(seen.stdout).toMatch(new RegExp(`\\s${peer}(\\s|$)`, 'm'));
    // its --add-host line survives the peers' changes
    expect(seen.stdout).toMatch(/^10\.1\.2\.3\s+added\.example$/m);
    expect(await readdir(victim)).toEqual([]);
  });

  for (const [label, entry] of [
    ['a symlink to a host path', { type: 'symlink', name: 'etc/hosts', target: '__VICTIM__/hosts' }],
    ['a FIFO', { type: 'fifo', name: 'etc/hosts' }],
  ] as const) {
    it(`an image whose /etc/hosts is ${label} starts, resolves its peers, and the host is untouched`, async () => {
      const e = { ...entry, ...('target' in entry ? { target: path.join(victim, 'hosts') } : {}) } as TarEntry;
      const img = await imageWith(`hosts-${entry.type}`, [e]);
      const net = await network();
      const name = uniqueName('odd');
      const r = await rk(['run', '-d', '--name', name, '--network', net, img, 'sleep', '100000'], { timeout: 60_000 });
      expect(r.exitCode, r.stderr).toBe(0);
      const peer = uniqueName('peer');
      expect((await rk(['run', '-d', '--name', peer, '--network', net, img, 'sleep', '100000'])).exitCode).toBe(0);
      const seen = await rk(['exec', name, 'sh', '-c', 'test -f /etc/hosts && cat /etc/hosts']);
      expect(seen.exitCode, seen.stderr).toBe(0);
      expect(seen.stdout).toMatch(new RegExp(`\\s${peer}(\\s|$)`, 'm'));
      expect(await readdir(victim)).toEqual([]);
    });
  }
});
