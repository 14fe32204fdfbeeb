import { describe, expect, it } from 'vitest';
import { overlayInFilesystems, overlayVerdict, namespacesVerdict } from '../../../../src/runtime/doctor/kernel.js';

describe('doctor: kernel', () => {
  it('finds overlay in /proc/filesystems, and only as a whole name', () => {
    expect(overlayInFilesystems('nodev\tsysfs\nnodev\toverlay\n\text4\n')).toBe(true);
    expect(overlayInFilesystems('nodev\tsysfs\nnodev\toverlayfs2\n\text4\n')).toBe(false);
  });
  it('overlayfs: ok when known or loadable, fail with modprobe as the fix otherwise', () => {
    expect(overlayVerdict(true).status).toBe('ok');
    expect(overlayVerdict(false, 'loadable').status).toBe('ok');
    for (const answer of ['absent', 'no-modprobe'] as const) {
      const v = overlayVerdict(false, answer);
      expect(v.status).toBe('fail');
      expect(v.fix).toContain('modprobe overlay');
    }
  });
  it('namespaces: mnt/pid/uts/ipc are required, net and user only warned about', () => {
    const all = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'pid_for_children', 'time', 'user', 'uts'];
    expect(namespacesVerdict(all, 15000).status).toBe('ok');
    const noPid = namespacesVerdict(all.filter(n => n !== 'pid'));
    expect(noPid.status).toBe('fail');
    expect(noPid.detail).toContain('pid');
    expect(noPid.fix).toContain('CONFIG_PID_NS');
    const noNet = namespacesVerdict(all.filter(n => n !== 'net'));
    expect(noNet.status).toBe('warn');
    expect(noNet.fix).toContain('CONFIG_NET_NS');
    const userOff = namespacesVerdict(all, 0);
    expect(userOff.status).toBe('warn');
    expect(userOff.fix).toContain('user.max_user_namespaces');
  });
});
