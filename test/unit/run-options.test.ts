import { describe, expect, it } from 'vitest';
import { parseEnvAssignments, mergeEnv, imageEnv } from '../../src/runtime/env.js';
import { parseVolume } from '../../src/runtime/volumes.js';
import { commandLine } from '../../src/engine/spec.js';
import { useTerminal } from '../../src/runtime/terminal.js';

describe('environment', () => {
  it('parses K=V and copies bare K from the host', () => {
    expect(parseEnvAssignments(['A=1', 'B=', 'C=x=y', 'H', 'MISSING'], { H: 'host' })).toEqual([['A', '1'], ['B', ''], ['C', 'x=y'], ['H', 'host']]);
  });
  it('rejects empty keys and NUL bytes', () => {
    expect(() => parseEnvAssignments(['=x'], {})).toThrow(/invalid -e value/);
    expect(() => parseEnvAssignments(['A=\0'], {})).toThrow(/NUL/);
  });
  it('later values win, in first position', () => {
    expect(mergeEnv([['PATH', '/a'], ['X', '1']], [['X', '2'], ['PATH', '/b']])).toEqual([['PATH', '/b'], ['X', '2']]);
  });
  it('reads the image Env', () => {
    expect(imageEnv(['A=1', 'broken', 'B=x=y'])).toEqual([['A', '1'], ['B', 'x=y']]);
    expect(imageEnv(null)).toEqual([]);
  });
});

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

describe('-t', () => {
  it('gets a pseudo-terminal only when stdin and stdout are both terminals', () => {
    expect(useTerminal(true, { stdin: true, stdout: true })).toBe(true);
    expect(useTerminal(true, { stdin: false, stdout: true })).toBe(false);
    expect(useTerminal(true, { stdin: true, stdout: false })).toBe(false);
    expect(useTerminal(true, { stdin: false, stdout: false })).toBe(false);
    expect(useTerminal(false, { stdin: true, stdout: true })).toBe(false);
  });
});
