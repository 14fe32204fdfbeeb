import { describe, expect, it } from 'vitest';
import { commandLine } from '../../../src/engine/spec.js';

describe('command line', () => {
  const cfg = { Entrypoint: ['/ep'], Cmd: ['default'] };
  it('is Entrypoint + Cmd, a command replacing Cmd', () => {
    expect(commandLine(cfg, [])).toEqual(['/ep', 'default']);
    expect(commandLine(cfg, ['x'])).toEqual(['/ep', 'x']);
  });
  it('--entrypoint replaces the entrypoint and drops the image Cmd', () => {
    expect(commandLine(cfg, [], 'sh')).toEqual(['sh']);
    expect(commandLine(cfg, ['-c', 'id'], 'sh')).toEqual(['sh', '-c', 'id']);
    expect(commandLine(cfg, ['ls'], '')).toEqual(['ls']);
  });
  it('is empty when the image has neither', () => {
    expect(commandLine(undefined, [])).toEqual([]);
  });
});
