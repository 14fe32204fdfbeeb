import { describe, expect, it } from 'vitest';
import { checkVolumeTarget } from '../../../src/runtime/volumes.js';

describe('volumes', () => {
  it('a target is absolute and normalised', () => {
    expect(checkVolumeTarget('/c/')).toBe('/c');
    expect(checkVolumeTarget('/etc/myapp')).toBe('/etc/myapp');
    expect(() => checkVolumeTarget('c')).toThrow(/not an absolute path/);
  });
  it('refuses system targets', () => {
    for (const target of ['/', '/proc', '/sys/', '/dev', '/etc', '/usr', '/lib64', '/boot', '/run', '/etc/../etc']) {
      expect(() => checkVolumeTarget(target), target).toThrow(/refusing to mount over/);
    }
  });
});
