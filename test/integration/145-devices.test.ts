import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { readProcFile } from '../../src/process.js';
import { systemdIsPid1 } from '../../src/runtime/host.js';

/**
 * Host devices (docs/run.md, "Devices"): a container may make and open docker's
 * default devices only, plus its --device ones; --privileged all. And --pids-limit
 * counts the container's processes. Seen from inside the container, with real nodes.
 */
const reg = inject('registry');
const BUSYBOX = `${reg}/fixtures/busybox:latest`;
let t: Awaited<ReturnType<typeof tempRoot>>;
const names: string[] = [];
const rk = (args: string[], opts = {}) => racker(t.root, args, opts);
const run = (args: string[], opts = {}) => rk(['run', '--rm', ...args], opts);

beforeAll(async () => {
  t = await tempRoot('devices');
  expect((await rk(['pull', '-q', '--tls-verify=false', BUSYBOX])).exitCode).toBe(0);
});

afterAll(async () => {
  for (const n of names) await rk(['rm', '-f', n]);
  const mounts = (await readProcFile('/proc/self/mounts')).split('\n').filter(l => l.includes(t.root));
  await t.remove();
  expect(mounts).toEqual([]);
});

/**
 * `probe NAME TYPE MAJOR MINOR MODE`: make the node under /dev and open it (MODE
 * `<` read, `<>` read-write); prints "NAME ok" or "NAME <the error>". Harmless
 * nodes only: opening them does nothing by itself.
 */
const PROBE = 'probe() { if ! e=$(busybox mknod /dev/probe-$1 $2 $3 $4 2>&1); then echo "$1 $e"; return; fi;'
  + ' if e=$( (if [ "$5" = "<" ]; then exec 3</dev/probe-$1; else exec 3<>/dev/probe-$1; fi) 2>&1); then echo "$1 ok"; else echo "$1 $e"; fi; rm -f /dev/probe-$1; };';
const HOST_NODES = 'probe loopctl c 10 237 "<>"; probe fuse c 10 229 "<>"; probe kmsg c 1 11 "<"; probe tun c 10 200 "<>"; probe console c 5 1 "<>";';

function outcomes(stdout: string): Record<string, string> {
  return Object.fromEntries(stdout.split('\n').filter(Boolean).map(l => [l.split(' ')[0], l.slice(l.indexOf(' ') + 1)]));
}

describe('host devices', () => {
  it('a default container cannot make and open host devices, not even with --cap-add ALL', async () => {
    for (const caps of [[], ['--cap-add', 'ALL']]) {
      const r = await run([...caps, BUSYBOX, 'sh', '-c', PROBE + HOST_NODES]);
      expect(r.exitCode, r.stderr).toBe(0);
      const o = outcomes(r.stdout);
      // nspawn's scope on a systemd host allows /dev/net/tun (docs/run.md, "Devices")
      for (const node of ['loopctl', 'fuse', 'kmsg', ...systemdIsPid1() ? [] : ['tun'], 'console']) expect(o[node], `${node} with ${caps.join(' ')}`).toMatch(/Operation not permitted/);
    }
  });

  it('docker\'s default devices work: the ones nspawn made, and made anew', async () => {
    const opens = 'for d in null zero full random urandom ptmx; do if (exec 3<>/dev/$d) 2>/dev/null; then echo "$d ok"; else echo "$d failed"; fi; done;';
    const r = await run([BUSYBOX, 'sh', '-c', `${PROBE}${opens} probe null2 c 1 3 "<>"; probe urandom2 c 1 9 "<"; probe tty2 c 5 0 "<>"; head -c 4 /dev/urandom | wc -c`]);
    expect(r.exitCode, r.stderr).toBe(0);
    const o = outcomes(r.stdout);
    for (const d of ['null', 'zero', 'full', 'random', 'urandom', 'ptmx', 'null2', 'urandom2']) expect(o[d], d).toBe('ok');
    // no controlling terminal: /dev/tty opens with "No such device or address", but it is not refused
    expect(o.tty2).not.toMatch(/Operation not permitted/);
    expect(r.stdout).toMatch(/^4$/m);
  });

  it('--device allows exactly that device; --privileged allows all', async () => {
    const dev = await run(['--device', '/dev/fuse', BUSYBOX, 'sh', '-c', `${PROBE} probe fuse c 10 229 "<>"; probe loopctl c 10 237 "<>";`
      + ' if (exec 3<>/dev/fuse) 2>/dev/null; then echo "bound ok"; fi']);
    expect(dev.exitCode, dev.stderr).toBe(0);
    expect(outcomes(dev.stdout)).toMatchObject({ fuse: 'ok', bound: 'ok' });
    expect(outcomes(dev.stdout).loopctl).toMatch(/Operation not permitted/);
    const priv = await run(['--privileged', BUSYBOX, 'sh', '-c', `${PROBE} probe loopctl c 10 237 "<>"; probe fuse c 10 229 "<>"`]);
    expect(priv.exitCode, priv.stderr).toBe(0);
    expect(outcomes(priv.stdout)).toEqual({ loopctl: 'ok', fuse: 'ok' });
  });

  it('a detached container keeps the policy; its cgroup goes with rm -f', async () => {
    const n = uniqueName('devices');
    names.push(n);
    expect((await rk(['run', '-d', '--name', n, BUSYBOX, 'sleep', '60'])).exitCode).toBe(0);
    const id = (await rk(['inspect', '-f', '{{.Id}}', n])).stdout.trim();
    const ours = async () => (await readdir('/sys/fs/cgroup/devices').catch(() => [])).filter(d => d === `racker-${id.slice(0, 12)}`);
    // racker's own devices cgroup where PID 1 is not systemd (there nspawn's scope has the policy)
    if (!systemdIsPid1()) expect(await ours()).toHaveLength(1);
    expect((await rk(['rm', '-f', n])).exitCode).toBe(0);
    expect(await ours()).toEqual([]);
  });
});

describe('--pids-limit counts the container\'s processes', () => {
  it('2: PID 1 and one child run, a third process cannot start', async () => {
    const r = await run(['--pids-limit', '2', BUSYBOX, 'sh', '-c', 'sleep 30 & echo one; if sleep 0; then echo two; fi; kill $!'], { timeout: 60_000 });
    expect(r.stdout).toBe('one');
    expect(r.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
  });

  it('1 is refused with 125 and one line naming the minimum', async () => {
    const r = await run(['--pids-limit', '1', BUSYBOX, 'true']);
    expect(r.exitCode).toBe(125);
    const lines = r.stderr.split('\n').filter(l => l.startsWith('racker:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/--pids-limit 1 is too small.*minimum is 2/);
  });
});
