import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageParity, parityFor, parseBytes, parseCpus, parseDevice, parseDuration, parseLabelFile, parseSwap, parseUlimit } from '../../../src/engine/parity.js';
import { checkSpecInput } from '../../../src/engine/spec.js';
import { hostPlatform } from '../../../src/image/oci.js';

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
  it('takes --pids-limit from 2 (nspawn cannot start under 1); 0 and -1 are unlimited', () => {
    expect(check({ pidsLimit: 1 })).toThrow(/--pids-limit 1 is too small/);
    expect(parityFor({ pidsLimit: 2 }, 'app')).toEqual({ pidsLimit: 2 });
    expect(parityFor({ pidsLimit: -1 }, 'app')).toEqual({});
    expect(parityFor({ pidsLimit: 0 }, 'boot')).toEqual({});
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
