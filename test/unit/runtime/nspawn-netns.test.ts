import { describe, expect, it } from 'vitest';
import { nspawnCommand } from '../../../src/runtime/nspawn-netns.js';

describe('nspawnCommand', () => {
  it('starts nspawn inside a namespace of its own (nsenter execs it in place), else as it is', () => {
    expect(nspawnCommand({ netns: '/run/netns/rk-abc' }, ['--quiet', '-D', '/r'])).toEqual(['nsenter', ['--net=/run/netns/rk-abc', '--', 'systemd-nspawn', '--quiet', '-D', '/r']]);
    expect(nspawnCommand({}, ['--quiet'])).toEqual(['systemd-nspawn', ['--quiet']]);
  });
});
