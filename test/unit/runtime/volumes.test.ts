import { describe, expect, it } from 'vitest';
import { parseVolume } from '../../../src/runtime/volumes.js';

describe('volumes', () => {
  it('parses SRC:DST[:ro]', () => {
    expect(parseVolume('/h:/c')).toEqual({ source: '/h', target: '/c', readOnly: false });
    expect(parseVolume('/h:/c/:ro')).toEqual({ source: '/h', target: '/c', readOnly: true });
  });
  it('refuses relative sources, bad modes and system targets', () => {
    expect(() => parseVolume('rel:/c')).toThrow(/not an absolute path/);
    expect(() => parseVolume('/h:/c:rx')).toThrow(/invalid volume mode/);
    expect(() => parseVolume('/h')).toThrow(/invalid volume/);
    for (const target of ['/', '/proc', '/sys/', '/dev', '/etc', '/usr', '/lib64', '/boot', '/run', '/etc/../etc']) {
      expect(() => parseVolume(`/h:${target}`), target).toThrow(/refusing to mount over/);
    }
    expect(parseVolume('/h:/etc/myapp').target).toBe('/etc/myapp');
  });
});
