import { describe, expect, it } from 'vitest';
import { parseVolumeSyntax } from '../../../src/syntax/volumes.js';

describe('short volume syntax', () => {
  it('reads source, target and options', () => {
    expect(parseVolumeSyntax('/data')).toEqual({ target: '/data', options: [] });
    expect(parseVolumeSyntax('/data:ro')).toEqual({ target: '/data', options: ['ro'] });
    expect(parseVolumeSyntax('db:/var/lib/db')).toEqual({ source: 'db', target: '/var/lib/db', options: [] });
    expect(parseVolumeSyntax('./x:/x:ro,z')).toEqual({ source: './x', target: '/x', options: ['ro', 'z'] });
    expect(parseVolumeSyntax('/h:/c:nocopy,rslave')).toEqual({ source: '/h', target: '/c', options: ['nocopy', 'rslave'] });
  });

  it('refuses with docker\'s texts', () => {
    expect(() => parseVolumeSyntax('a:b:c:d')).toThrow("invalid volume specification: 'a:b:c:d'");
    expect(() => parseVolumeSyntax(':/x')).toThrow("invalid volume specification: ':/x'");
    expect(() => parseVolumeSyntax('data:')).toThrow("invalid volume specification: 'data:'");
    expect(() => parseVolumeSyntax('db:/d:rx')).toThrow('invalid mode: rx');
    expect(() => parseVolumeSyntax('db:relative')).toThrow(/mount path must be absolute/);
    expect(() => parseVolumeSyntax('relative')).toThrow(/mount path must be absolute/);
    expect(() => parseVolumeSyntax('/x\0')).toThrow(/NUL/);
  });
});
