import { describe, expect, it } from 'vitest';
import { buildNspawnArgs, escapeBindPath } from '../../../src/runtime/nspawn-args.js';

const base = { machine: 'c1', directory: '/s/rootfs', argv: ['sh', '-c', 'echo $X'], env: [] as [string, string][], tty: false, binds: [], register: false };

describe('buildNspawnArgs', () => {
  it('uses --register=no --keep-unit where PID 1 is not systemd', () => {
    const a = buildNspawnArgs(base);
    expect(a).toContain('--register=no');
    expect(a).toContain('--keep-unit');
    expect(buildNspawnArgs({ ...base, register: true })).toContain('--register=yes');
    expect(buildNspawnArgs({ ...base, register: true })).not.toContain('--keep-unit');
  });

  it('puts the command after -- untouched, as separate arguments', () => {
    const a = buildNspawnArgs(base);
    expect(a.slice(a.indexOf('--'))).toEqual(['--', 'sh', '-c', 'echo $X']);
  });

  it('chooses the console by -t', () => {
    expect(buildNspawnArgs(base)).toContain('--console=pipe');
    expect(buildNspawnArgs({ ...base, tty: true })).toContain('--console=interactive');
  });

  it('passes env, workdir, user, hostname and kill signal', () => {
    const a = buildNspawnArgs({ ...base, env: [['A', '1'], ['B', 'x=y z']], workdir: '/w', user: 'app', hostname: 'h', killSignal: 'SIGTERM' });
    expect(a).toEqual(expect.arrayContaining(['--setenv=A=1', '--setenv=B=x=y z', '--chdir=/w', '--user=app', '--hostname=h', '--kill-signal=SIGTERM']));
  });

  it('leaves hostname, hosts and resolv.conf to racker', () => {
    expect(buildNspawnArgs(base)).toEqual(expect.arrayContaining(['--resolv-conf=off', '--timezone=off', '--link-journal=no']));
  });

  it('escapes : and \\ in bind paths', () => {
    expect(escapeBindPath('/a:b\\c')).toBe('/a\\:b\\\\c');
    const a = buildNspawnArgs({ ...base, binds: [{ source: '/h:1', target: '/c', readOnly: true }, { source: '/h2', target: '/d', readOnly: false }] });
    expect(a).toContain('--bind-ro=/h\\:1:/c');
    expect(a).toContain('--bind=/h2:/d');
  });
});
