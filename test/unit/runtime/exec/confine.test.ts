import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { capMask, confinedCommand, encodedEnv } from '../../../../src/runtime/exec/confine.js';
import { nativeTool } from '../../../../src/native-tool.js';
import { ALL_CAPS, NSPAWN_DEFAULT_CAPS } from '../../../../src/runtime/capabilities.js';

describe('capMask', () => {
  it('sets bit n for capability n (capabilities(7))', () => {
    expect(capMask([])).toBe('0');
    expect(capMask(['CHOWN'])).toBe('1');
    expect(capMask(['SYS_ADMIN', 'MKNOD'])).toBe((2 ** 21 + 2 ** 27).toString(16));
    expect(capMask(['CHECKPOINT_RESTORE'])).toBe('10000000000');
    expect(capMask(ALL_CAPS)).toBe('1ffffffffff');
  });

  it('nspawn\'s default set, less what it drops itself, is what the payload shows', () => {
    // the payload of a default container shows CapBnd fcecafff: the default set without SYS_RESOURCE (bounded by the leader's own set)
    expect(BigInt(`0x${capMask(NSPAWN_DEFAULT_CAPS)}`) & ~(1n << 24n)).toBe(0xfcecafffn);
  });

  it('refuses a name it does not know rather than dropping it', () => {
    expect(() => capMask(['NOT_A_CAP'])).toThrow(/unknown capability/);
  });
});

describe('confinedCommand', () => {
  // the systemd-host lane sets it for the whole run (racker nested under a filter): each test says it itself
  let nested: string | undefined;
  beforeEach(() => { nested = process.env.RACKER_NESTED_SECCOMP; delete process.env.RACKER_NESTED_SECCOMP; });
  afterEach(() => { if (nested === undefined) delete process.env.RACKER_NESTED_SECCOMP; else process.env.RACKER_NESTED_SECCOMP = nested; });

  const ENTER = nativeTool('racker-enter');

  it('runs the helper with the leader and the argv after --, never a shell line', () => {
    expect(confinedCommand({ leader: 4242 }, ['cat', '/proc/self/status'])).toEqual({ cmd: ENTER, args: ['--pid', '4242', '--', 'cat', '/proc/self/status'] });
  });

  it('passes the container\'s capabilities and no-new-privileges from its spec', () => {
    const c = confinedCommand({ leader: 7, spec: { capDrop: ['ALL'], securityOpt: ['no-new-privileges'] } }, ['id']);
    expect(c.args).toEqual(['--pid', '7', '--caps', '0', '--nnp', '--', 'id']);
    const added = confinedCommand({ leader: 7, spec: { capDrop: ['ALL'], capAdd: ['NET_ADMIN'] } }, ['id']);
    expect(added.args).toEqual(['--pid', '7', '--caps', '1000', '--', 'id']);
    expect(confinedCommand({ leader: 7, spec: { privileged: true } }, ['id']).args).toContain('1ffffffffff');
  });

  it('passes the user, supplementary groups, working directory and a whole environment', () => {
    const c = confinedCommand({ leader: 7, user: { uid: 1000, gid: 100, groups: [2000, 2001] }, cwd: '/srv/a b', env: [['PATH', '/bin'], ['X', 'a=b']] }, ['--help']);
    expect(c.args).toEqual(['--pid', '7', '--uid', '1000', '--gid', '100', '--groups', '2000,2001', '--cwd', '/srv/a b',
      '--env', 'PATH=/bin', '--env', 'X=a=b', '--', '--help']);
  });

  it('keeps racker\'s own filters in a nested racker only when RACKER_NESTED_SECCOMP=inherit asks for it', () => {
    const saved = process.env.RACKER_NESTED_SECCOMP;
    try {
      delete process.env.RACKER_NESTED_SECCOMP;
      expect(confinedCommand({ leader: 7 }, ['id']).args).not.toContain('--nested-seccomp-inherit');
      process.env.RACKER_NESTED_SECCOMP = 'inherit';
      expect(confinedCommand({ leader: 7 }, ['id']).args).toEqual(['--pid', '7', '--nested-seccomp-inherit', '--', 'id']);
    } finally {
      if (saved === undefined) delete process.env.RACKER_NESTED_SECCOMP;
      else process.env.RACKER_NESTED_SECCOMP = saved;
    }
  });

  it('refuses a leader that is not a process of a container, and an empty command', () => {
    expect(() => confinedCommand({ leader: 1 }, ['id'])).toThrow(/leader/);
    expect(() => confinedCommand({ leader: 0 }, ['id'])).toThrow(/leader/);
    expect(() => confinedCommand({ leader: 12.5 }, ['id'])).toThrow(/leader/);
    expect(() => confinedCommand({ leader: 5 }, [])).toThrow(/no command/);
  });

  it('hands a container\'s environment over encoded: off the command line, under names no loader or libc reads', () => {
    const env: [string, string][] = [['LD_PRELOAD', '/x.so'], ['SECRET', 'a b=c\nd'], ['PATH', '/bin']];
    const c = confinedCommand({ leader: 9, envEncoded: true }, ['id']);
    expect(c.args).toEqual(['--pid', '9', '--env-encoded', '--', 'id']);
    expect(encodedEnv(env)).toEqual({ RACKER_ENTER_ENV_0: 'LD_PRELOAD=/x.so', RACKER_ENTER_ENV_1: 'SECRET=a b=c\nd', RACKER_ENTER_ENV_2: 'PATH=/bin' });
    expect(c.args.join(' ')).not.toContain('SECRET');
  });
});
