import { describe, expect, it } from 'vitest';
import { MachinedExec, EnterExec } from '../../../../src/runtime/exec/container-exec.js';
import { nativeTool } from '../../../../src/native-tool.js';

const ENTER = nativeTool('racker-enter');

describe('commands inside booted containers', () => {
  it('runs the container\'s own programs confined (racker-enter), or asks machined for systemd tools', () => {
    const target = { machine: 'web', leader: 4242 };
    const c = new EnterExec().command(target, ['systemctl', 'is-system-running']);
    expect(c.cmd).toBe(ENTER);
    expect(c.args.slice(0, 2)).toEqual(['--pid', '4242']);
    expect(c.args).toContain('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    expect(c.args.slice(c.args.indexOf('--'))).toEqual(['--', 'systemctl', 'is-system-running']);
    expect(new MachinedExec().command(target, ['systemd-run', '--wait', '--', 'id'])).toEqual({ cmd: 'systemd-run', args: ['--machine', 'web', '--wait', '--', 'id'] });
    expect(new MachinedExec().command(target, ['cat', '/etc/os-release']).cmd).toBe(ENTER);
  });

  it('a terminal goes through racker-enter: systemd-run -M --pty loses it on Debian 12 (systemd 252)', () => {
    const target = { machine: 'web', leader: 4242 };
    const c = new MachinedExec().command(target, ['systemd-run', '--wait', '--pty', '--', 'bash']);
    expect(c.cmd).toBe(ENTER);
    expect(c.args.slice(c.args.indexOf('--'))).toEqual(['--', 'systemd-run', '--wait', '--pty', '--', 'bash']);
    expect(new MachinedExec().command(target, ['systemd-run', '--pipe', '--', 'echo', '--pty']).cmd).toBe('systemd-run');
  });
});
