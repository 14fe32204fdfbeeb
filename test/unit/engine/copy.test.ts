import { describe, expect, it } from 'vitest';
import { containerPath, entryPath } from '../../../src/engine/copy.js';

describe('containerPath', () => {
  it('splits a path into the directory tar changes to and the name it archives', () => {
    expect(containerPath('/data/x')).toMatchObject({ full: '/data/x', dir: '/data', base: 'x', contents: false });
    expect(containerPath('etc/passwd')).toMatchObject({ full: '/etc/passwd', dir: '/etc', base: 'passwd' });
    expect(containerPath('/data/../x/')).toMatchObject({ full: '/x', dir: '/', base: 'x' });
  });

  it('docker\'s trailing /. and the root mean the directory\'s contents', () => {
    expect(containerPath('/data/.')).toMatchObject({ dir: '/data', base: '.', contents: true });
    expect(containerPath('/')).toMatchObject({ dir: '/', base: '.', contents: true });
  });

  it('refuses an empty path', () => {
    expect(() => containerPath('')).toThrow(/bad path/);
  });
});

describe('entryPath', () => {
  it('gives the components under the copied name', () => {
    expect(entryPath('x', 'x')).toEqual([]);
    expect(entryPath('x/', 'x')).toEqual([]);
    expect(entryPath('x/a/b', 'x')).toEqual(['a', 'b']);
    expect(entryPath('./a', '.')).toEqual(['a']);
    expect(entryPath('./', '.')).toEqual([]);
  });

  it('refuses absolute names, .., and anything beside the copied name', () => {
    expect(() => entryPath('/etc/passwd', 'x')).toThrow(/unsafe/);
    expect(() => entryPath('x/../../etc', 'x')).toThrow(/unsafe/);
    expect(() => entryPath('..', '.')).toThrow(/unsafe/);
    expect(() => entryPath('y/a', 'x')).toThrow(/not under/);
    expect(() => entryPath('x/./a', 'x')).toThrow(/unsafe/);
  });
});
