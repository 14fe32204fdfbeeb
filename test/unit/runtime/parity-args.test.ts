import { describe, expect, it } from 'vitest';
import { buildNspawnArgs } from '../../../src/runtime/nspawn-args.js';
import { nspawnEnv } from '../../../src/runtime/parity-args.js';

const base = { machine: 'c1', directory: '/s/rootfs', argv: ['sh'], env: [] as [string, string][], tty: false, binds: [], register: false };

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
    const p = { memory: 64 << 20, memoryReservation: 32 << 20, nanoCpus: 5e8, pidsLimit: 10 };
    expect(buildNspawnArgs({ ...base, register: true, parity: p })).toEqual(expect.arrayContaining(['--property=MemoryMax=67108864', '--property=MemoryLow=33554432', '--property=CPUQuota=50%', '--property=TasksMax=11']));
    expect(buildNspawnArgs({ ...base, parity: p }).some(a => a.startsWith('--property'))).toBe(false);
  });
  it('on systemd hosts: --device adds the host node to the scope\'s DeviceAllow list; --privileged lifts the list', () => {
    const dev = { devices: [{ hostPath: '/dev/fuse', containerPath: '/dev/f', permissions: 'rwm' }, { hostPath: '/dev/zero', containerPath: '/dev/z', permissions: 'm' }] };
    const a = buildNspawnArgs({ ...base, register: true, parity: dev });
    expect(a.filter(x => x.includes('Device'))).toEqual(['--property=DeviceAllow=/dev/fuse rw', '--property=DeviceAllow=/dev/zero m']);
    expect(buildNspawnArgs({ ...base, register: true, parity: { ...dev, privileged: true } }).filter(x => x.includes('Device')))
      .toEqual(['--property=DevicePolicy=auto', '--property=DeviceAllow=']);
    expect(buildNspawnArgs({ ...base, register: true, parity: {} }).some(x => x.includes('Device'))).toBe(false);
  });
  it('never gives --as-pid2 to a booted container', () => {
    expect(buildNspawnArgs({ ...base, boot: true, parity: { init: true } })).not.toContain('--as-pid2');
  });
});

describe('nspawnEnv', () => {
  it('opens /proc/sys/net only for NET_ADMIN in a network namespace of its own', () => {
    expect(nspawnEnv({ capAdd: ['NET_ADMIN'] }, true)).toEqual({ SYSTEMD_NSPAWN_API_VFS_WRITABLE: 'network' });
    expect(nspawnEnv({ privileged: true }, true)).toEqual({ SYSTEMD_NSPAWN_API_VFS_WRITABLE: 'network' });
    expect(nspawnEnv({ capAdd: ['NET_ADMIN'] }, false)).toBeUndefined();
    expect(nspawnEnv({}, true)).toBeUndefined();
    expect(nspawnEnv({ capDrop: ['ALL'] }, true)).toBeUndefined();
  });
});
