import { describe, expect, it } from 'vitest';
import { colorLevel } from '../../../src/cli/color-level.js';

describe('colorLevel', () => {
  it('FORCE_COLOR decides first, for a terminal or not', () => {
    expect(colorLevel(false, { FORCE_COLOR: '' })).toBe(1);
    expect(colorLevel(false, { FORCE_COLOR: 'true' })).toBe(1);
    expect(colorLevel(false, { FORCE_COLOR: '2' })).toBe(2);
    expect(colorLevel(false, { FORCE_COLOR: '3' })).toBe(3);
    expect(colorLevel(true, { FORCE_COLOR: '0', TERM: 'xterm' })).toBe(0);
    expect(colorLevel(true, { FORCE_COLOR: 'false', TERM: 'xterm' })).toBe(0);
  });
  it('no colour off a terminal or on a dumb one; else by TERM and COLORTERM', () => {
    expect(colorLevel(false, { TERM: 'xterm-256color', COLORTERM: 'truecolor' })).toBe(0);
    expect(colorLevel(true, { TERM: 'dumb', COLORTERM: 'truecolor' })).toBe(0);
    expect(colorLevel(true, { TERM: 'xterm', COLORTERM: 'truecolor' })).toBe(3);
    expect(colorLevel(true, { TERM: 'xterm-256color' })).toBe(2);
    expect(colorLevel(true, { TERM: 'screen' })).toBe(1);
    expect(colorLevel(true, { TERM: 'linux' })).toBe(1);
    expect(colorLevel(true, { TERM: 'unknown', COLORTERM: 'yes' })).toBe(1);
    expect(colorLevel(true, { TERM: 'unknown' })).toBe(0);
    expect(colorLevel(true, {})).toBe(0);
  });
});
