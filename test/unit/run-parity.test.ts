import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  effectiveCaps, imageParity, NSPAWN_DEFAULT_CAPS, parityFor, parseBytes, parseCpus, parseDevice, parseDuration, parseLabelFile, parseSwap, parseUlimit,
} from '../../src/engine/parity.js';
import { checkSpecInput } from '../../src/engine/spec.js';
import { nextHealth, type HealthState } from '../../src/engine/health.js';
import { buildNspawnArgs } from '../../src/runtime/nspawn-args.js';
import { matchesFilters, parsePsFilters } from '../../src/cli/racker/ps-filter.js';
import { statusText } from '../../src/cli/racker/ps.js';
import type { ContainerRecord } from '../../src/store/container-store.js';
import { hostPlatform } from '../../src/image/oci.js';

const base = { machine: 'c1', directory: '/s/rootfs', argv: ['sh'], env: [] as [string, string][], tty: false, binds: [], register: false };

describe('parsing run flags', () => {
  it('reads docker sizes, cpus, swap, ulimits, devices, durations, label files', () => {
    expect(parseBytes('512m', '--memory')).toBe(512 * 1024 ** 2);
    expect(parseBytes('1g', '--memory')).toBe(1024 ** 3);
    expect(parseBytes('64kb', '--memory')).toBe(65536);
    expect(parseBytes('100', '--memory')).toBe(100);
    expect(() => parseBytes('12q', '--memory')).toThrow(/invalid --memory/);
    expect(parseSwap('-1')).toBe(-1);
    expect(parseCpus('1.5')).toBe(1.5e9);
    expect(() => parseCpus('0')).toThrow(/--cpus/);
    expect(() => parseCpus('-1')).toThrow(/--cpus/);
    expect(parseUlimit('nofile=1024:2048')).toEqual({ name: 'nofile', soft: 1024, hard: 2048 });
    expect(parseUlimit('core=-1')).toEqual({ name: 'core', soft: 'infinity', hard: 'infinity' });
    expect(() => parseUlimit('bogus=1')).toThrow(/--ulimit/);
    expect(parseDevice('/dev/fuse')).toEqual({ hostPath: '/dev/fuse', containerPath: '/dev/fuse', permissions: 'rwm' });
    expect(parseDevice('/dev/zero:/dev/z:r')).toEqual({ hostPath: '/dev/zero', containerPath: '/dev/z', permissions: 'r' });
    expect(parseDevice('/dev/zero:rw')).toEqual({ hostPath: '/dev/zero', containerPath: '/dev/zero', permissions: 'rw' });
    expect(parseDuration('1m30s', '--health-interval')).toBe(90e9);
    expect(parseDuration('500ms', '--health-interval')).toBe(500e6);
    expect(() => parseDuration('5', '--health-interval')).toThrow(/invalid --health-interval/);
    expect(parseLabelFile('# c\na=1\n\nb\n')).toEqual([['a', '1'], ['b', '']]);
  });
});

describe('checking run flags (125, one line)', () => {
  const check = (p: object) => () => checkSpecInput({ image: 'x', ...p });
  it('refuses bad values and combinations', () => {
    expect(check({ memory: 1024 })).toThrow(/too small/);
    expect(check({ memorySwap: 100 << 20 })).toThrow(/needs --memory/);
    expect(check({ memory: 100 << 20, memorySwap: 50 << 20 })).toThrow(/smaller than --memory/);
    expect(check({ cpuShares: 1 })).toThrow(/--cpu-shares/);
    expect(check({ capAdd: ['NOPE'] })).toThrow(/unknown capability/);
    expect(check({ sysctls: { 'net.ipv4.ip_forward': '1' } })).toThrow(/shares the host's network/);
    expect(check({ sysctls: { 'vm.swappiness': '1' } })).toThrow(/not namespaced/);
    expect(check({ sysctls: { 'kernel.shmmax': '1; rm -rf /' } })).toThrow(/invalid value/);
    expect(check({ securityOpt: ['seccomp=unconfined'] })).toThrow(/not supported/);
    expect(check({ stopSignal: 'NOPE' })).toThrow(/--stop-signal/);
    expect(check({ init: true, boot: true })).toThrow(/--init cannot be combined with --boot/);
    expect(check({ platform: 'linux/s390x-nope' })).toThrow(/cannot run on this host/);
    expect(check({ platform: 'windows/amd64' })).toThrow(/cannot run on this host/);
    expect(check({ timezone: '../../etc/passwd' })).toThrow(/invalid --tz/);
    expect(check({ timezone: 'Nowhere/Atlantis' })).toThrow(/unknown time zone/);
    expect(check({ devices: [{ hostPath: '/etc/passwd', containerPath: '/dev/x', permissions: 'rwm' }] })).toThrow(/--device/);
    expect(check({ labels: { 'a b': '1' } })).toThrow(/label key/);
    expect(check({ ulimits: [{ name: 'nofile', soft: 10, hard: 5 }] })).toThrow(/above the hard limit/);
  });
  it('accepts the host platform and normalises names', () => {
    const host = hostPlatform();
    expect(parityFor({ platform: `${host.os}/${host.architecture}` }, 'app').platform).toBe(`${host.os}/${host.architecture}`);
    expect(parityFor({ capAdd: ['cap_net_admin', 'NET_ADMIN'], stopSignal: 'quit' }, 'app')).toEqual({ capAdd: ['NET_ADMIN'], stopSignal: 'SIGQUIT' });
  });
  it('refuses an existing --cidfile', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'parity-unit-'));
    try {
      await writeFile(path.join(dir, 'cid'), 'x');
      expect(check({ cidfile: path.join(dir, 'cid') })).toThrow(/container ID file found/);
      expect(check({ cidfile: path.join(dir, 'new') })).not.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('capabilities', () => {
  it('is nspawn\'s default, plus adds, minus drops; drop ALL then add', () => {
    expect(effectiveCaps({})).toEqual(expect.arrayContaining(NSPAWN_DEFAULT_CAPS));
    expect(effectiveCaps({ capDrop: ['ALL'], capAdd: ['NET_ADMIN'] })).toEqual(['NET_ADMIN']);
    expect(effectiveCaps({ capDrop: ['CHOWN'] })).not.toContain('CHOWN');
    expect(effectiveCaps({ privileged: true })).toContain('SYS_MODULE');
  });
});

describe('nspawn arguments for the run flags', () => {
  it('maps caps, no-new-privileges, rlimits, init, shm and timezone', () => {
    const a = buildNspawnArgs({ ...base, parity: {
      capAdd: ['NET_ADMIN'], capDrop: ['CHOWN'], securityOpt: ['no-new-privileges'], ulimits: [{ name: 'nofile', soft: 10, hard: 20 }],
      init: true, shmSize: 1024, timezone: 'local',
    } });
    expect(a).toEqual(expect.arrayContaining(['--capability=CAP_NET_ADMIN', '--drop-capability=CAP_CHOWN', '--no-new-privileges=yes',
      '--rlimit=RLIMIT_NOFILE=10:20', '--as-pid2', '--tmpfs=/dev/shm:mode=1777,size=1024', '--timezone=copy']));
    expect(a.indexOf('--as-pid2')).toBeLessThan(a.indexOf('--'));
  });
  it('hands cgroup limits to systemd on systemd hosts only', () => {
    const p = { memory: 64 << 20, nanoCpus: 5e8, pidsLimit: 10 };
    expect(buildNspawnArgs({ ...base, register: true, parity: p })).toEqual(expect.arrayContaining(['--property=MemoryMax=67108864', '--property=CPUQuota=50%', '--property=TasksMax=10']));
    expect(buildNspawnArgs({ ...base, parity: p }).some(a => a.startsWith('--property'))).toBe(false);
  });
  it('never gives --as-pid2 to a booted container', () => {
    expect(buildNspawnArgs({ ...base, boot: true, parity: { init: true } })).not.toContain('--as-pid2');
  });
});

describe('the image\'s labels, stop signal and health check', () => {
  const cfg = { Labels: { a: '1', 'bad key': 'x' }, StopSignal: 'SIGQUIT', Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Retries: 2 } };
  it('apply under the flags', () => {
    const p = imageParity({ labels: { b: '2' }, healthcheck: { interval: 1e9 } }, cfg);
    expect(p.labels).toEqual({ a: '1', b: '2' });
    expect(p.stopSignal).toBe('SIGQUIT');
    expect(p.healthcheck).toEqual({ test: ['CMD-SHELL', 'true'], interval: 1e9, timeout: undefined, retries: 2, startPeriod: undefined });
    expect(imageParity({ healthcheck: { test: ['NONE'] } }, cfg).healthcheck).toBeUndefined();
    expect(imageParity({ stopSignal: 'SIGINT' }, cfg).stopSignal).toBe('SIGINT');
  });
});

describe('health', () => {
  const r = (exitCode: number) => ({ start: 's', end: 'e', exitCode, output: '' });
  const starting: HealthState = { status: 'starting', failingStreak: 0, log: [] };
  it('goes healthy on success, unhealthy after retries failures, ignores failures in the start period', () => {
    expect(nextHealth(starting, r(0), false, 3).status).toBe('healthy');
    let h = nextHealth(starting, r(1), false, 2);
    expect(h).toMatchObject({ status: 'starting', failingStreak: 1 });
    h = nextHealth(h, r(1), false, 2);
    expect(h).toMatchObject({ status: 'unhealthy', failingStreak: 2 });
    expect(nextHealth(starting, r(1), true, 1)).toMatchObject({ status: 'starting', failingStreak: 0 });
    let many = starting;
    for (let i = 0; i < 9; i++) many = nextHealth(many, r(i % 2), false, 3);
    expect(many.log).toHaveLength(5);
  });
});

describe('ps --filter and STATUS', () => {
  const rec = (name: string, status: 'running' | 'exited', labels?: Record<string, string>, health?: HealthState) => ({
    id: 'a'.repeat(64), name, created: new Date().toISOString(), argv: [], spec: { labels },
    state: { status, startedAt: new Date().toISOString(), health },
  }) as unknown as ContainerRecord;
  it('matches label=KEY, label=KEY=VALUE, name= and status=', () => {
    const c = rec('web-1', 'running', { team: 'a' });
    expect(matchesFilters(c, parsePsFilters(['label=team']))).toBe(true);
    expect(matchesFilters(c, parsePsFilters(['label=team=a']))).toBe(true);
    expect(matchesFilters(c, parsePsFilters(['label=team=b']))).toBe(false);
    expect(matchesFilters(c, parsePsFilters(['name=web', 'status=running']))).toBe(true);
    expect(matchesFilters(c, parsePsFilters(['status=exited', 'status=running']))).toBe(true);
    expect(matchesFilters(c, parsePsFilters(['status=exited']))).toBe(false);
    expect(() => parsePsFilters(['colour=red'])).toThrow(/invalid filter/);
    expect(() => parsePsFilters(['status=sleepy'])).toThrow(/invalid filter/);
  });
  it('shows the health in STATUS as docker', () => {
    expect(statusText(rec('a', 'running', undefined, { status: 'healthy', failingStreak: 0, log: [] }))).toMatch(/^Up .* \(healthy\)$/);
    expect(statusText(rec('a', 'running', undefined, { status: 'starting', failingStreak: 0, log: [] }))).toMatch(/\(health: starting\)$/);
  });
});
