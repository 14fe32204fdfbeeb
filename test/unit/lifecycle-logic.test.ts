import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../../src/cli/go-template.js';
import { parseSince } from '../../src/cli/racker/logs.js';
import { statusText } from '../../src/cli/racker/ps.js';
import { filterLog, type LogLine } from '../../src/runtime/container-log.js';
import { buildSystemdRunArgs } from '../../src/runtime/exec/systemd-run-args.js';
import { MachinedExec, NsenterExec } from '../../src/runtime/exec/container-exec.js';
import type { ContainerRecord } from '../../src/store/container-store.js';

describe('--format templates', () => {
  const data = { State: { Status: 'running', ExitCode: 0 }, Config: { Env: ['A=1', 'B=2'], Labels: { x: 'y' } }, Name: 'web' };
  it('renders fields, arrays, maps and json', () => {
    expect(renderTemplate('{{.State.Status}}', data)).toBe('running');
    expect(renderTemplate('{{ .Name }}: {{.State.ExitCode}}', data)).toBe('web: 0');
    expect(renderTemplate('{{.Config.Env}}', data)).toBe('[A=1 B=2]');
    expect(renderTemplate('{{.Config.Labels}}', data)).toBe('map[x:y]');
    expect(renderTemplate('{{json .State}}', data)).toBe('{"Status":"running","ExitCode":0}');
  });
  it('names a missing field', () => {
    expect(() => renderTemplate('{{.State.Nope}}', data)).toThrow(/no field "Nope"/);
  });
});

describe('logs --since', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  it('takes durations, unix times and RFC 3339', () => {
    expect(parseSince('10m', now).toISOString()).toBe('2026-01-01T11:50:00.000Z');
    expect(parseSince('1h30m', now).toISOString()).toBe('2026-01-01T10:30:00.000Z');
    expect(parseSince('1767225600', now).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(parseSince('2026-01-01T11:00:00Z', now).toISOString()).toBe('2026-01-01T11:00:00.000Z');
    expect(() => parseSince('yesterday', now)).toThrow(/invalid --since/);
  });
  it('filters by time, then keeps the tail', () => {
    const lines: LogLine[] = [1, 2, 3, 4].map(i => ({ t: `2026-01-01T00:00:0${i}Z`, s: 'stdout', l: `l${i}` }));
    expect(filterLog(lines, { tail: 2 }).map(l => l.l)).toEqual(['l3', 'l4']);
    expect(filterLog(lines, { since: new Date('2026-01-01T00:00:02Z') }).map(l => l.l)).toEqual(['l2', 'l3', 'l4']);
    expect(filterLog(lines, { tail: 0 })).toEqual([]);
  });
});

describe('ps status', () => {
  const base = { id: 'a'.repeat(64), name: 'n', image: 'i', imageName: 'i', layers: [], argv: [], created: '2026-01-01T00:00:00Z', autoRemove: false } as const;
  const now = Date.parse('2026-01-01T00:10:00Z');
  it('reads like docker', () => {
    expect(statusText({ ...base, state: { status: 'running', startedAt: '2026-01-01T00:05:00Z' } } as ContainerRecord, now)).toBe('Up 5 minutes');
    expect(statusText({ ...base, state: { status: 'exited', exitCode: 3, finishedAt: '2026-01-01T00:08:00Z' } } as ContainerRecord, now)).toBe('Exited (3) 2 minutes ago');
    expect(statusText({ ...base, state: { status: 'created' } } as ContainerRecord, now)).toBe('Created');
  });
});

describe('commands inside booted containers', () => {
  it('systemd-run waits, pipes or uses a pty, and keeps the command as separate arguments', () => {
    const a = buildSystemdRunArgs({ argv: ['sh', '-c', 'exit 3'], env: [['A', 'b c']], workdir: '/srv', user: 'app', tty: false });
    expect(a.slice(0, 6)).toEqual(['systemd-run', '--wait', '--quiet', '--collect', '--service-type=exec', '--pipe']);
    expect(a).toEqual(expect.arrayContaining(['--working-directory=/srv', '--uid=app', '--setenv=A=b c']));
    expect(a.slice(a.indexOf('--'))).toEqual(['--', 'sh', '-c', 'exit 3']);
    expect(buildSystemdRunArgs({ argv: ['bash'], env: [], tty: true })).toContain('--pty');
  });
  it('reaches the container through nsenter, or machined for systemd tools', () => {
    const target = { machine: 'web', leader: 4242 };
    expect(new NsenterExec().command(target, ['systemctl', 'is-system-running'])).toEqual({ cmd: 'nsenter', args: ['--target', '4242', '--all', '--', 'systemctl', 'is-system-running'] });
    expect(new MachinedExec().command(target, ['systemd-run', '--wait', '--', 'id'])).toEqual({ cmd: 'systemd-run', args: ['--machine', 'web', '--wait', '--', 'id'] });
    expect(new MachinedExec().command(target, ['cat', '/etc/os-release']).cmd).toBe('nsenter');
    // systemd-run -M --pty loses the terminal on Debian 12 (systemd 252): a terminal goes through nsenter
    expect(new MachinedExec().command(target, ['systemd-run', '--wait', '--pty', '--', 'bash'])).toEqual({ cmd: 'nsenter', args: ['--target', '4242', '--all', '--', 'systemd-run', '--wait', '--pty', '--', 'bash'] });
    expect(new MachinedExec().command(target, ['systemd-run', '--pipe', '--', 'echo', '--pty']).cmd).toBe('systemd-run');
  });
});
