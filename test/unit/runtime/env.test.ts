import { describe, expect, it } from 'vitest';
import { checkEnvSize, ENV_VAR_MAX_BYTES, imageEnv, isValidEnvName, mergeEnv, parseEnvAssignments } from '../../../src/runtime/env.js';

describe('environment names', () => {
  it('accepts what systemd-nspawn accepts, nothing else', () => {
    for (const ok of ['A', '_', 'a_1', 'PATH', '_X9']) expect(isValidEnvName(ok), ok).toBe(true);
    for (const bad of ['', '1A', 'SP ACE', 'A.B', 'A-B', 'É', 'A=B', 'A\0']) expect(isValidEnvName(bad), bad).toBe(false);
  });

  it('-e values: KEY=VALUE, bare KEY from the host, bad names refused with 125', () => {
    expect(parseEnvAssignments(['A=1', 'B', 'C', 'D='], { B: 'host' })).toEqual([['A', '1'], ['B', 'host'], ['D', '']]);
    expect(() => parseEnvAssignments(['SP ACE=x'], {})).toThrow(expect.objectContaining({ exitCode: 125 }));
    expect(() => parseEnvAssignments(['=x'], {})).toThrow(/no variable name/);
    expect(() => parseEnvAssignments(['A=x\0y'], {})).toThrow(/NUL/);
  });

  it('image Env: odd entries are dropped and reported, the rest kept in order', () => {
    const dropped: string[] = [];
    expect(imageEnv(['A=1', 'SP ACE=2', 'noequals', '=x', 'B=a=b', 'N=x\0y'], n => dropped.push(n))).toEqual([['A', '1'], ['B', 'a=b']]);
    expect(dropped).toEqual(['SP ACE', 'N']);
    expect(imageEnv(null)).toEqual([]);
  });

  it('merge: later wins, first position kept', () => {
    expect(mergeEnv([['A', '1'], ['B', '2']], [['A', '3']])).toEqual([['A', '3'], ['B', '2']]);
  });
});

describe('environment size', () => {
  it('one variable over 128 KiB or a whole environment over 1 MiB is refused with 125, naming it', () => {
    expect(() => parseEnvAssignments([`BIG=${'x'.repeat(ENV_VAR_MAX_BYTES)}`], {})).toThrow(/variable BIG is too long/);
    expect(parseEnvAssignments([`OK=${'x'.repeat(ENV_VAR_MAX_BYTES - 3)}`], {})).toHaveLength(1);
    const many: [string, string][] = Array.from({ length: 9 }, (_, i) => [`V${i}`, 'x'.repeat(120_000)]);
    expect(() => checkEnvSize(many)).toThrow(expect.objectContaining({ exitCode: 125, message: expect.stringMatching(/environment is too large/) }));
    expect(() => checkEnvSize(many.slice(0, 8))).not.toThrow();
  });
});

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
