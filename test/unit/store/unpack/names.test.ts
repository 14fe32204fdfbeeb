import { describe, it, expect } from 'vitest';
import { normaliseName, show } from '../../../../src/store/unpack/names.js';

describe('normaliseName', () => {
  it.each<[string, string[]]>([
    ['a/b/c', ['a', 'b', 'c']],
    ['/abs/path', ['abs', 'path']],
    ['./x//y/./z/', ['x', 'y', 'z']],
    ['a/b/../c', ['a', 'c']],
    ['.', []],
    ['./', []],
    ['/', []],
  ])('splits %j into %j', (raw, parts) => {
    expect(normaliseName(raw)).toEqual(parts);
  });

  it.each<[string, RegExp]>([
    ['../etc/passwd', /layer entry '\.\.\/etc\/passwd' escapes the root/],
    ['a/../../b', /escapes the root/],
    ['a\0b', /contains a NUL byte/],
    ['x'.repeat(4097), /longer than 4096 bytes/],
    [Array(513).fill('d').join('/'), /nested deeper than 512 directories/],
  ])('refuses %j', (raw, why) => {
    expect(() => normaliseName(raw)).toThrow(why);
  });

  it('names the subject it is given', () => {
    expect(() => normaliseName('../x', 'hardlink target')).toThrow('hardlink target escapes the root');
  });
});

describe('show', () => {
  it('escapes control characters and cuts long names', () => {
    expect(show('a\x1b]0;t\x07b')).toBe('a\\x1b]0;t\\x07b');
    expect(show('n'.repeat(400))).toBe(`${'n'.repeat(300)}…`);
  });
});
