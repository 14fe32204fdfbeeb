import { describe, expect, it } from 'vitest';
import { effectiveCaps, NSPAWN_DEFAULT_CAPS } from '../../../src/engine/parity.js';

const base = { machine: 'c1', directory: '/s/rootfs', argv: ['sh'], env: [] as [string, string][], tty: false, binds: [], register: false };

describe('capabilities', () => {
  it('is nspawn\'s default, plus adds, minus drops; drop ALL then add', () => {
    expect(effectiveCaps({})).toEqual(expect.arrayContaining(NSPAWN_DEFAULT_CAPS));
    expect(effectiveCaps({ capDrop: ['ALL'], capAdd: ['NET_ADMIN'] })).toEqual(['NET_ADMIN']);
    expect(effectiveCaps({ capDrop: ['CHOWN'] })).not.toContain('CHOWN');
    expect(effectiveCaps({ privileged: true })).toContain('SYS_MODULE');
  });
});
