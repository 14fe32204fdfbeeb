import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { access, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { execa } from 'execa';
import { readProcFile } from '../../src/process.js';
import { systemdIsPid1 } from '../../src/runtime/host.js';

/** docker-run parity (issue 16): limits, capabilities, devices, labels, health — each observed from inside the container. */
const reg = inject('registry');
const BUSYBOX = `${reg}/fixtures/busybox:latest`;
let t: Awaited<ReturnType<typeof tempRoot>>;
let scratch: string;
const names: string[] = [];
const rk = (args: string[], opts = {}) => racker(t.root, args, opts);
const run = (args: string[], opts = {}) => rk(['run', '--rm', ...args], opts);

function name(prefix: string): string {
  const n = uniqueName(prefix);
  names.push(n);
  return n;
}

/** cgroups racker made for containers (racker-ID12), anywhere under /sys/fs/cgroup */
async function rackerCgroups(dir = '/sys/fs/cgroup', depth = 0): Promise<string[]> {
  if (depth > 5) return [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const p = path.join(dir, e.name);
    if (/^racker-[0-9a-f]{12}$/.test(e.name)) out.push(p);
    else out.push(...await rackerCgroups(p, depth + 1));
  }
  return out;
}

/** the container's id from --cidfile (a --rm run prints none) */
async function cgroupsOf(cidfile: string): Promise<string[]> {
  const id = (await readFile(cidfile, 'utf8')).trim();
  return (await rackerCgroups()).filter(d => path.basename(d) === `racker-${id.slice(0, 12)}`);
}

beforeAll(async () => {
  t = await tempRoot('parity');
  scratch = await mkdtemp(path.join(tmpdir(), 'racker-test-parity-scratch-'));
  expect((await rk(['pull', '-q', '--tls-verify=false', BUSYBOX])).exitCode).toBe(0);
});

afterAll(async () => {
  for (const n of names) await rk(['rm', '-f', n]);
  const mounts = (await readProcFile('/proc/self/mounts')).split('\n').filter(l => l.includes(t.root));
  await t.remove();
  await rm(scratch, { recursive: true, force: true });
  expect(mounts).toEqual([]);
});

const capEff = async (args: string[]) => {
  const r = await run([...args, BUSYBOX, 'grep', 'CapEff', '/proc/self/status']);
  expect(r.exitCode).toBe(0);
  return BigInt(`0x${r.stdout.split('\t')[1]}`);
};

describe('security', () => {
  it('--cap-drop ALL --cap-add, --cap-drop one, --privileged show in CapEff', async () => {
    expect(await capEff(['--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN'])).toBe(1n << 12n);
    const base = await capEff([]);
    expect(base & 1n).toBe(1n); // CAP_CHOWN by default
    expect(await capEff(['--cap-drop', 'chown'])).toBe(base & ~1n);
    expect(await capEff(['--privileged']) & (1n << 12n)).toBe(1n << 12n);
  });

  it('--security-opt no-new-privileges sets NoNewPrivs; anything else is refused with 125', async () => {
    const r = await run(['--security-opt', 'no-new-privileges', BUSYBOX, 'grep', 'NoNewPrivs', '/proc/self/status']);
    expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
    const bad = await run(['--security-opt', 'apparmor=unconfined', BUSYBOX, 'true']);
    expect(bad.exitCode).toBe(125);
    expect(bad.stderr).toMatch(/not supported/);
  });
});

describe('process and environment flags', () => {
  it('--ulimit shows in ulimit -n, --init puts a reaper at PID 1, --shm-size sizes /dev/shm', async () => {
    const u = await run(['--ulimit', 'nofile=1024:2048', BUSYBOX, 'sh', '-c', 'ulimit -n; ulimit -Hn']);
    expect(u.stdout.split('\n')).toEqual(['1024', '2048']);
    const i = await run(['--init', BUSYBOX, 'sh', '-c', 'echo $$; head -c 11 /proc/1/cmdline; echo']);
    expect(i.stdout.split('\n')).toEqual(['2', '(sd-stubini']);
    // an orphan that exits is reaped by PID 1: no zombie left
    const z = await run(['--init', BUSYBOX, 'sh', '-c', '(sleep 0.1 &); sleep 0.5; cat /proc/[0-9]*/stat | grep -c " Z " || true']);
    expect(z.stdout).toBe('0');
    const s = await run(['--shm-size', '16m', BUSYBOX, 'grep', '/dev/shm', '/proc/mounts']);
    expect(s.stdout.split('\n').at(-1)).toContain('size=16384k');
  });

  it('--sysctl sets IPC-namespace ones and refuses the rest; --device binds a device', async () => {
    const s = await run(['--sysctl', 'kernel.shmmax=12345678', BUSYBOX, 'cat', '/proc/sys/kernel/shmmax']);
    // inside a container (the systemd-host lane) /proc/sys is read-only for racker too: then a clear 125
    if (await access('/proc/sys/kernel/shmmax', constants.W_OK).then(() => true, () => false)) expect(s.stdout).toBe('12345678');
    else {
      expect(s.exitCode, s.stderr).toBe(125);
      expect(s.stderr.split('\n').filter(l => l.startsWith('racker:'))).toEqual([expect.stringMatching(/--sysctl kernel\.shmmax=12345678 could not be set/)]);
    }
    for (const bad of ['net.ipv4.ip_forward=1', 'vm.swappiness=1']) {
      const r = await run(['--sysctl', bad, BUSYBOX, 'true']);
      expect(r.exitCode).toBe(125);
      expect(r.stderr.split('\n')[0]).toMatch(/--sysctl/);
    }
    const d = await run(['--device', '/dev/zero:/dev/myzero:r', BUSYBOX, 'sh', '-c', 'head -c 5 /dev/myzero | wc -c']);
    expect(d.stdout).toBe('5');
    const nd = await run(['--device', '/dev/no-such-device', BUSYBOX, 'true']);
    expect(nd.exitCode).toBe(125);
  });

  it('--tz sets the zone, --host-ca-certs binds the host bundle, --platform refuses what cannot run', async () => {
    const tz = await run(['--tz', 'Europe/Berlin', BUSYBOX, 'sh', '-c', 'echo $TZ; md5sum /etc/localtime']);
    const host = (await readFile('/usr/share/zoneinfo/Europe/Berlin')).length;
    expect(tz.stdout.split('\n')[0]).toBe('Europe/Berlin');
    const size = await run(['--tz', 'Europe/Berlin', BUSYBOX, 'sh', '-c', 'wc -c < /etc/localtime']);
    expect(Number(size.stdout)).toBe(host);
    const ca = await run(['--host-ca-certs', BUSYBOX, 'sh', '-c', 'wc -c < /etc/ssl/certs/ca-certificates.crt']);
    expect(Number(ca.stdout)).toBe((await readFile('/etc/ssl/certs/ca-certificates.crt')).length);
    const p = await run(['--platform', 'linux/riscv64', BUSYBOX, 'true']);
    expect(p.exitCode).toBe(125);
    expect(p.stderr).toMatch(/cannot run on this host/);
  });

  it('labels filter ps; --cidfile holds the id and is refused when it exists; inspect shows the flags', async () => {
    const n = name('labelled');
    const labels = path.join(scratch, 'labels');
    await writeFile(labels, '# team\nteam=parity\n');
    const cid = path.join(scratch, `${n}.cid`);
    const r = await rk(['run', '-d', '--name', n, '--label-file', labels, '-l', 'tier=web', '--cidfile', cid, '--stop-signal', 'QUIT',
      '--ulimit', 'nofile=100:200', '--cap-add', 'NET_ADMIN', BUSYBOX, 'sleep', '60']);
    expect(r.exitCode).toBe(0);
    expect((await readFile(cid, 'utf8')).trim()).toBe(r.stdout);
    const byLabel = await rk(['ps', '--filter', 'label=team=parity', '--format', '{{.Names}}']);
    expect(byLabel.stdout.split('\n')).toContain(n);
    expect((await rk(['ps', '--filter', 'label=team=other', '--format', '{{.Names}}'])).stdout.split('\n')).not.toContain(n);
    expect((await rk(['ps', '--filter', `name=${n}`, '--filter', 'status=running', '-q'])).stdout).toBe(r.stdout.slice(0, 12));
    const again = await rk(['run', '--rm', '--cidfile', cid, BUSYBOX, 'true']);
    expect(again.exitCode).toBe(125);
    expect(again.stderr).toMatch(/container ID file found/);
    const doc = JSON.parse((await rk(['inspect', n])).stdout)[0];
    expect(doc.Config.Labels).toEqual({ team: 'parity', tier: 'web' });
    expect(doc.Config.StopSignal).toBe('SIGQUIT');
    expect(doc.HostConfig).toMatchObject({ CapAdd: ['NET_ADMIN'], Ulimits: [{ Name: 'nofile', Soft: 100, Hard: 200 }], ContainerIDFile: cid });
    expect((await rk(['rm', '-f', n])).exitCode).toBe(0);
  });
});

const systemdHost = systemdIsPid1();

/**
 * Can this host's systemd apply a limit of this controller? On cgroup v2 it is listed in
 * cgroup.controllers; on v1 or hybrid its hierarchy must be mounted writable (nspawn mounts the
 * v1 controllers read-only in a container, so inside the systemd-host lane's outer container
 * systemd takes MemoryMax= and the like but cannot enforce them).
 */
async function controllerWritable(ctrl: 'memory' | 'pids'): Promise<boolean> {
  const v2 = await readFile('/sys/fs/cgroup/cgroup.controllers', 'utf8').catch(() => undefined);
  if (v2 !== undefined) return v2.split(/\s+/).includes(ctrl);
  return (await readProcFile('/proc/self/mountinfo')).split('\n').some(l => {
    const [pre, post] = l.split(' - ');
    return post?.startsWith('cgroup ') && post.split(' ')[2]?.split(',').includes(ctrl) && pre.split(' ')[5]?.split(',').includes('rw');
  });
}
const enforced = { memory: await controllerWritable('memory'), pids: await controllerWritable('pids') };

describe.skipIf(!systemdHost)('resources on a systemd host (properties of the machine\'s scope)', () => {
  it('--memory, --pids-limit and --cpus become MemoryMax, TasksMax and CPUQuota of the scope, shown in inspect; the scope goes with rm', async () => {
    const n = name('scope');
    const r = await rk(['run', '-d', '--name', n, '-m', '64m', '--pids-limit', '40', '--cpus', '0.5', BUSYBOX, 'sleep', '60']);
    expect(r.exitCode, r.stderr).toBe(0);
    const unit = (await execa('machinectl', ['show', n, '-p', 'Unit', '--value'], { reject: false })).stdout.trim();
    expect(unit).toMatch(/^machine-.*\.scope$/);
    const props = (await execa('systemctl', ['show', unit, '-p', 'MemoryMax', '-p', 'TasksMax', '-p', 'CPUQuotaPerSecUSec'])).stdout.split('\n').sort();
    // TasksMax counts nspawn too, beside the container's 40 (runtime/cgroups.ts, NSPAWN_TASKS)
    expect(props).toEqual(['CPUQuotaPerSecUSec=500ms', `MemoryMax=${64 << 20}`, 'TasksMax=41']);
    const doc = JSON.parse((await rk(['inspect', n])).stdout)[0];
    expect(doc.HostConfig).toMatchObject({ Memory: 64 << 20, NanoCpus: 5e8, PidsLimit: 40 });
    expect((await rk(['rm', '-f', n])).exitCode).toBe(0);
    const after = await execa('systemctl', ['show', unit, '-p', 'ActiveState', '--value'], { reject: false });
    expect(after.stdout.trim()).not.toBe('active');
  });
});

describe.skipIf(systemdHost)('resources (cgroups racker makes where PID 1 is not systemd)', () => {
  const inside = 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max;'
    + ' cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max;'
    + ' cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d" " -f1 /sys/fs/cgroup/cpu.max';

  it('--memory, --pids-limit and --cpus are seen inside, in inspect, and the cgroups are gone afterwards', async () => {
    const cid = path.join(scratch, `${uniqueName('res')}.cid`);
    const r = await run(['--cidfile', cid, '-m', '64m', '--pids-limit', '40', '--cpus', '0.5', BUSYBOX, 'sh', '-c', inside]);
    // pids.max counts nspawn too, beside the container's 40 (runtime/cgroups.ts, NSPAWN_TASKS)
    expect(r.stdout.split('\n')).toEqual([String(64 << 20), '41', '50000']);
    // gone with it (only its own: other files' booted containers have cgroups of their own meanwhile)
    expect(await cgroupsOf(cid)).toEqual([]);
    const n = name('limits');
    expect((await rk(['run', '-d', '--name', n, '-m', '64m', '--memory-swap', '-1', '--cpus', '1.5', '--cpu-shares', '512', '--pids-limit', '30', BUSYBOX, 'sleep', '60'])).exitCode).toBe(0);
    const doc = JSON.parse((await rk(['inspect', n])).stdout)[0];
    expect(doc.HostConfig).toMatchObject({ Memory: 64 << 20, MemorySwap: -1, NanoCpus: 1.5e9, CpuShares: 512, PidsLimit: 30 });
    const id = doc.Id as string;
    expect((await rackerCgroups()).some(d => path.basename(d) === `racker-${id.slice(0, 12)}`)).toBe(true);
    expect((await rk(['rm', '-f', n])).exitCode).toBe(0);
    expect((await rackerCgroups()).some(d => path.basename(d) === `racker-${id.slice(0, 12)}`)).toBe(false);
  });

});

describe('resources enforced, on both kinds of host where the controller can be written', () => {
  it.skipIf(!enforced.memory)('a memory hog is killed: 137 and State.OOMKilled true', async () => {
    const n = name('hog');
    const r = await rk(['run', '--name', n, '-m', '32m', BUSYBOX, 'sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived ${#x}'], { timeout: 60_000 });
    expect(r.stdout).not.toContain('survived');
    expect(r.exitCode).toBe(137);
    expect((await rk(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}}', n])).stdout).toBe('true 137');
    expect((await rk(['rm', n])).exitCode).toBe(0);
  });

  it.skipIf(!enforced.pids)('a fork bomb stops at --pids-limit', async () => {
    const started = Date.now();
    const r = await run(['--pids-limit', '20', BUSYBOX, 'sh', '-c', 'for i in $(seq 200); do sleep 30 & done; echo all-started'], { timeout: 60_000 });
    expect(r.stdout).not.toContain('all-started');
    expect(r.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
    expect(r.exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('bad limits are refused with 125 and one line', async () => {
    const cases: [string[], RegExp][] = [
      [['-m', '1k'], /--memory is too small/], [['--memory-swap', '1g'], /--memory-swap needs --memory/], [['--cpus', 'many'], /invalid --cpus/],
      [['--cpu-shares', '1'], /invalid --cpu-shares 1/], [['--pids-limit', 'x'], /invalid --pids-limit/],
    ];
    for (const [args, message] of cases) {
      const r = await run([...args, BUSYBOX, 'true']);
      expect(r.exitCode).toBe(125);
      const lines = r.stderr.split('\n').filter(l => l.startsWith('racker:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    }
  });
});

describe('health', () => {
  it('goes starting → healthy; wait --condition healthy returns; ps shows it', async () => {
    const n = name('healthy');
    expect((await rk(['run', '-d', '--name', n, '--health-cmd', 'test -e /tmp/ready', '--health-interval', '200ms', '--health-retries', '5',
      BUSYBOX, 'sh', '-c', 'sleep 1; touch /tmp/ready; sleep 60'])).exitCode).toBe(0);
    expect((await rk(['inspect', '-f', '{{.State.Health.Status}}', n])).stdout).toBe('starting');
    const w = await rk(['wait', '--condition', 'healthy', '--timeout', '30', n]);
    expect(w.exitCode).toBe(0);
    expect((await rk(['inspect', '-f', '{{.State.Health.Status}} {{.State.Health.FailingStreak}}', n])).stdout).toBe('healthy 0');
    expect((await rk(['ps', '--filter', `name=${n}`, '--format', '{{.Status}}'])).stdout).toMatch(/\(healthy\)$/);
    expect((await rk(['rm', '-f', n])).exitCode).toBe(0);
  });

  it('a failing command makes it unhealthy, with its output in the log; wait prints the exit code', async () => {
    const n = name('unhealthy');
    await rk(['run', '-d', '--name', n, '--health-cmd', 'echo not-ok; exit 3', '--health-interval', '200ms', '--health-retries', '2', BUSYBOX, 'sleep', '60']);
    let status = '';
    for (let i = 0; i < 50 && status !== 'unhealthy'; i++) {
      await new Promise(r => setTimeout(r, 200));
      status = (await rk(['inspect', '-f', '{{.State.Health.Status}}', n])).stdout;
    }
    expect(status).toBe('unhealthy');
    const doc = JSON.parse((await rk(['inspect', n])).stdout)[0];
    expect(doc.State.Health.FailingStreak).toBeGreaterThanOrEqual(2);
    expect(doc.State.Health.Log.at(-1)).toMatchObject({ ExitCode: 3, Output: 'not-ok\n' });
    expect(doc.Config.Healthcheck).toMatchObject({ Test: ['CMD-SHELL', 'echo not-ok; exit 3'], Retries: 2, Interval: 200e6 });
    await rk(['stop', '-t', '1', n]);
    const w = await rk(['wait', n]);
    expect(w.stdout).toMatch(/^\d+$/);
    expect((await rk(['rm', n])).exitCode).toBe(0);
  });

  it('wait --condition healthy refuses a container without a health check', async () => {
    const n = name('nohealth');
    await rk(['run', '-d', '--name', n, BUSYBOX, 'sleep', '60']);
    const w = await rk(['wait', '--condition', 'healthy', n]);
    expect(w.exitCode).toBe(125);
    expect(w.stderr).toMatch(/has no health check/);
    expect((await rk(['rm', '-f', n])).exitCode).toBe(0);
  });
});
