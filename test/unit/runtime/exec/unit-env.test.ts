import { describe, expect, it } from 'vitest';
import { unitEnvBind, unitEnvText } from '../../../../src/runtime/exec/unit-env.js';

describe('unitEnvText', () => {
  it('double-quotes values and escapes what systemd would interpret', () => {
    expect(unitEnvText([['A', 'x y'], ['B', 'q"\\`$HOME'], ['C', 'l1\nl2'], ['D', "it's = ok"]]))
      .toBe('A="x y"\nB="q\\"\\\\\\`\\$HOME"\nC="l1\nl2"\nD="it\'s = ok"\n');
  });
});

describe('unitEnvBind', () => {
  it('binds racker\'s directory read-only at /run/racker-env', () => {
    expect(unitEnvBind('/s/containers/c')).toEqual({ source: '/s/containers/c/unit-env', target: '/run/racker-env', readOnly: true });
  });
});
