import { describe, expect, it } from 'vitest';
import { buildSystemdRunArgs } from '../../../../src/runtime/exec/systemd-run-args.js';

describe('commands inside booted containers', () => {
  it('systemd-run waits, pipes or uses a pty, and keeps the command as separate arguments', () => {
    const a = buildSystemdRunArgs({ argv: ['sh', '-c', 'exit 3'], env: [['A', 'b c']], workdir: '/srv', user: 'app', tty: false });
    expect(a.slice(0, 6)).toEqual(['systemd-run', '--wait', '--quiet', '--collect', '--service-type=exec', '--pipe']);
    expect(a).toEqual(expect.arrayContaining(['--working-directory=/srv', '--uid=app', '--setenv=A=b c']));
    expect(a.slice(a.indexOf('--'))).toEqual(['--', 'sh', '-c', 'exit 3']);
    expect(buildSystemdRunArgs({ argv: ['bash'], env: [], tty: true })).toContain('--pty');
  });
});
