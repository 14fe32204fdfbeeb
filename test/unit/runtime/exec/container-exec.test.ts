import { describe, expect, it } from 'vitest';
import { MachinedExec, NsenterExec } from '../../../../src/runtime/exec/container-exec.js';

describe('commands inside booted containers', () => {
  it('reaches the container through nsenter, or machined for systemd tools', () => {
    const target = { machine: 'web', leader: 4242 };
    expect(new NsenterExec().command(target, ['systemctl', 'is-system-running'])).toEqual({ cmd: 'nsenter', args: ['--target', '4242', '--all', '--', 'systemctl', 'is-system-running'] });
    expect(new MachinedExec().command(target, ['systemd-run', '--wait', '--', 'id'])).toEqual({ cmd: 'systemd-run', args: ['--machine', 'web', '--wait', '--', 'id'] });
    expect(new MachinedExec().command(target, ['cat', '/etc/os-release']).cmd).toBe('nsenter');
  });

  it('a terminal goes through nsenter: systemd-run -M --pty loses it on Debian 12 (systemd 252)', () => {
    const target = { machine: 'web', leader: 4242 };
    expect(new MachinedExec().command(target, ['systemd-run', '--wait', '--pty', '--', 'bash'])).toEqual({ cmd: 'nsenter', args: ['--target', '4242', '--all', '--', 'systemd-run', '--wait', '--pty', '--', 'bash'] });
    expect(new MachinedExec().command(target, ['systemd-run', '--pipe', '--', 'echo', '--pty']).cmd).toBe('systemd-run');
  });
});
