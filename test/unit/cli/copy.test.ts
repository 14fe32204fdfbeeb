import { describe, expect, it } from 'vitest';
import { cpTarget } from '../../../src/cli/copy.js';

describe('cpTarget', () => {
  it('reads CONTAINER:PATH as docker does', () => {
    expect(cpTarget('web:/etc/hosts')).toEqual({ container: 'web', path: '/etc/hosts' });
    expect(cpTarget('web:')).toEqual({ container: 'web', path: '' });
  });

  it('a path starting with / or ., or without a colon, is the host\'s', () => {
    expect(cpTarget('/tmp/a:b')).toEqual({ path: '/tmp/a:b' });
    expect(cpTarget('./a:b')).toEqual({ path: './a:b' });
    expect(cpTarget('file.txt')).toEqual({ path: 'file.txt' });
    expect(cpTarget('-')).toEqual({ path: '-' });
    expect(cpTarget(':x')).toEqual({ path: ':x' });
  });
});
