import { describe, expect, it } from 'vitest';
import { inCgroups } from '../../../src/runtime/cgroups.js';
import { nativeTool } from '../../../src/native-tool.js';

describe('inCgroups', () => {
  it('starts the command as it is without cgroups, through the fixed script with them', () => {
    expect(inCgroups(undefined, 'systemd-nspawn', ['-D', '/r'])).toEqual({ cmd: 'systemd-nspawn', args: ['-D', '/r'] });
    const sh = inCgroups({ dirs: ['/c/x'], procs: ['/c/x/cgroup.procs'] }, 'systemd-nspawn', ['-D', '/r']);
    expect(sh.cmd).toBe('/bin/sh');
    expect(sh.args.slice(3)).toEqual(['/c/x/cgroup.procs', '--', 'systemd-nspawn', '-D', '/r']);
  });
  it('on cgroup v2 through racker-devices: the program\'s cgroup and rules, the procs files, the command', () => {
    const cg = { dirs: ['/c/x'], procs: ['/c/x/cgroup.procs'], deviceProgram: { cgroup: '/c/x', rules: ['c:1:3:rwm', 'c:136:*:rwm'] } };
    expect(inCgroups(cg, 'systemd-nspawn', ['-D', '/r'])).toEqual({
      cmd: nativeTool('racker-devices'), args: ['/c/x', 'c:1:3:rwm', 'c:136:*:rwm', '--', '/c/x/cgroup.procs', '--', 'systemd-nspawn', '-D', '/r'],
    });
  });
});
