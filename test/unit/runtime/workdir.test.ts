import { describe, expect, it } from 'vitest';
import { containerWorkdir } from '../../../src/runtime/workdir.js';

describe('containerWorkdir', () => {
  it('-w wins over the image and is normalised', () => {
    expect(containerWorkdir('/a/../b', '/img')).toBe('/b');
    expect(containerWorkdir('/..', undefined)).toBe('/');
    expect(containerWorkdir('//srv//app/', null)).toBe('/srv/app/');
  });
  it('falls back to the image, then to /', () => {
    expect(containerWorkdir(undefined, '/srv')).toBe('/srv');
    expect(containerWorkdir(undefined, '')).toBe('/');
    expect(containerWorkdir(undefined, null)).toBe('/');
    expect(containerWorkdir(undefined, undefined)).toBe('/');
  });
  it('refuses relative paths with exit code 125, naming where they came from', () => {
    for (const w of ['rel', '../x', '.', '']) {
      expect(() => containerWorkdir(w, undefined), w).toThrow(expect.objectContaining({ exitCode: 125, message: expect.stringMatching(/-w|working directory/) }));
    }
    expect(() => containerWorkdir(undefined, 'srv')).toThrow(/image's WorkingDir "srv"/);
  });
});

describe('containerWorkdir limits', () => {
  it('names over 255 bytes and paths over 4095 bytes are refused with 125 (not ENAMETOOLONG)', () => {
    expect(() => containerWorkdir('/' + 'a'.repeat(256), undefined)).toThrow(/name longer than 255 bytes/);
    expect(() => containerWorkdir(('/' + 'a'.repeat(200)).repeat(21), undefined)).toThrow(/longer than 4095 bytes/);
    expect(containerWorkdir('/' + 'a'.repeat(255), undefined)).toHaveLength(256);
  });
});
