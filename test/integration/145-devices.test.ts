import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdir, mkdtemp, readdir, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { REPO, racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { readProcFile } from '../../src/process.js';
import { systemdIsPid1 } from '../../src/runtime/host.js';
import { DEFAULT_DEVICES, programRules } from '../../src/runtime/device-policy.js';

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

/** the cgroup2 mount: /sys/fs/cgroup on a v2 host, /sys/fs/cgroup/unified on a hybrid one */
async function cgroup2Mount(): Promise<string | undefined> {
  for (const line of (await readProcFile('/proc/self/mountinfo')).split('\n')) {
    const [pre, post] = line.split(' - ');
    if (post?.startsWith('cgroup2 ') && pre.split(' ')[5]?.startsWith('rw')) return pre.split(' ')[4];
  }
  return undefined;
}
const v2 = await cgroup2Mount();

/**
 * The device program racker uses on cgroup v2 hosts, tried on this host's cgroup2
 * hierarchy (the kernel checks a cgroup2 device program even where a v1 devices
 * controller is mounted too): a shell started by it in a cgroup of the test's own.
 */
describe.skipIf(!v2)('the cgroup v2 device program (src/native/racker-devices.c)', () => {
  const helper = path.join(REPO, 'dist/native/racker-devices');
  const probe = 'for spec in "lc c 10 237" "fuse c 10 229" "null c 1 3" "full c 1 7"; do set -- $spec;'
    + ' if ! e=$(mknod "$D/$1" $2 $3 $4 2>&1); then echo "$1 mknod denied"; elif (exec 3<>"$D/$1") 2>/dev/null; then echo "$1 ok"; else echo "$1 open denied"; fi; done;'
    + ' (exec 3</dev/full) 2>/dev/null && echo "host-full-r ok"; (exec 3>/dev/full) 2>/dev/null || echo "host-full-w denied"';

  it('allows the rules given and nothing else; mknod, read and write each as asked', async () => {
    const cg = path.join(v2!, uniqueName('racker-test-devprog'));
    const nodes = await mkdtemp(path.join(tmpdir(), 'racker-test-devnodes-'));
    await mkdir(cg);
    try {
      const rules = [...programRules(DEFAULT_DEVICES.filter(r => !(r.major === 1 && r.minor === 7))), 'c:1:7:r'];
      const r = await execa(helper, [cg, ...rules, '--', path.join(cg, 'cgroup.procs'), '--', 'sh', '-c', probe], { reject: false, env: { D: nodes } });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout.split('\n')).toEqual(['lc mknod denied', 'fuse mknod denied', 'null ok', 'full mknod denied', 'host-full-r ok', 'host-full-w denied']);
      const bad = await execa(helper, [cg, 'c:1:x:rwm', '--', '--', 'true'], { reject: false });
      expect(bad.exitCode).toBe(125);
      expect(bad.stderr).toMatch(/^racker-devices: bad rule c:1:x:rwm/);
    } finally {
      await rm(nodes, { recursive: true, force: true });
      // the shell has exited: the cgroup is empty (a few tries while the kernel lets go of it)
      for (let i = 0; i < 50; i++) {
        const gone = await rmdir(cg).then(() => true, (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
        if (gone) break;
        await new Promise(res => setTimeout(res, 20));
      }
    }
  });
});
