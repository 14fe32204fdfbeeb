import { describe, expect, it } from 'vitest';
import { cgroupLayout, cgroupVerdict, machinedVerdict, pid1Verdict } from '../../../../src/runtime/doctor/systemd.js';

describe('doctor: systemd and cgroups', () => {
  const unified = 'sysfs /sys sysfs rw 0 0\ncgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n';
  const hybrid = 'tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0\ncgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0\n'
    + 'cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,name=systemd 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n';
  const legacy = 'tmpfs /sys/fs/cgroup tmpfs rw 0 0\ncgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n';
  it('tells the cgroup layouts apart from /proc/mounts', () => {
    expect(cgroupLayout(unified)).toBe('unified');
    expect(cgroupLayout(hybrid)).toBe('hybrid');
    expect(cgroupLayout(legacy)).toBe('legacy');
    expect(cgroupLayout('proc /proc proc rw 0 0\n')).toBe('none');
    // the last mount on /sys/fs/cgroup is the one in effect
    expect(cgroupLayout(`${hybrid}cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n`)).toBe('unified');
  });
  it('unified is ok, v1 and hybrid warn with the kernel option, none fails', () => {
    expect(cgroupVerdict('unified').status).toBe('ok');
    for (const l of ['hybrid', 'legacy'] as const) {
      expect(cgroupVerdict(l).status).toBe('warn');
      expect(cgroupVerdict(l).fix).toContain('systemd.unified_cgroup_hierarchy=1');
    }
    expect(cgroupVerdict('none').status).toBe('fail');
  });
  it('PID 1 either way is ok, and says what changes', () => {
    expect(pid1Verdict(true, 'systemd')).toMatchObject({ status: 'ok' });
    expect(pid1Verdict(true, 'systemd').detail).toContain('machinectl');
    const plain = pid1Verdict(false, 'tini');
    expect(plain.status).toBe('ok');
    expect(plain.detail).toContain('tini');
    expect(plain.detail).toContain('--register=no --keep-unit');
    expect(plain.detail).toContain('racker-enter');
  });
  it('machined matters only where systemd is PID 1', () => {
    expect(machinedVerdict(false).status).toBe('ok');
    expect(machinedVerdict(true, { exitCode: 0, timedOut: false, stderr: '' }).status).toBe('ok');
    const down = machinedVerdict(true, { exitCode: 1, timedOut: false, stderr: 'Failed to connect to bus: No such file or directory\n' });
    expect(down.status).toBe('fail');
    expect(down.detail).toContain('Failed to connect to bus');
    expect(down.fix).toContain('systemctl start systemd-machined');
    expect(machinedVerdict(true, { exitCode: undefined, timedOut: true, stderr: '' }).detail).toContain('no answer');
    expect(machinedVerdict(true, 'no-client').status).toBe('fail');
  });
});
