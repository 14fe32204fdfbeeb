import { describe, expect, it } from 'vitest';
import { volumeFilter } from '../../../../src/cli/racker/volume.js';

describe('volume verb helpers', () => {
  it('filters', () => {
    const v = { Name: 'web-data', Driver: 'local' as const, Mountpoint: '/x', CreatedAt: '', Labels: { app: 'web' }, Options: {}, Anonymous: false };
    expect(volumeFilter(['dangling=true'])(v, false)).toBe(true);
    expect(volumeFilter(['dangling=true'])(v, true)).toBe(false);
    expect(volumeFilter(['dangling=false'])(v, true)).toBe(true);
    expect(volumeFilter(['name=web', 'label=app', 'label=app=web', 'driver=local'])(v, false)).toBe(true);
    expect(volumeFilter(['label=app=db'])(v, false)).toBe(false);
    expect(() => volumeFilter(['dangling=maybe'])).toThrow(/invalid filter/);
    expect(() => volumeFilter(['colour=red'])).toThrow(/invalid filter/);
  });
});
