import { describe, expect, it } from 'vitest';
import { Command, InvalidArgumentError } from 'commander';
import { bootTimeoutOption, integer, parseBool, parseLabels, seconds, stopTimeoutOption, tlsVerifyOption } from '../../../src/cli/options.js';

/** The hint a parser refuses `value` with (commander prints it after the flag and exits). */
function refusal(parse: (value: string) => unknown, value: string): string {
  try {
    parse(value);
  } catch (err) {
    expect(err, value).toBeInstanceOf(InvalidArgumentError);
    return (err as Error).message;
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
}

describe('parseBool', () => {
  it('true/false, 1/0, yes/no, in any case', () => {
    for (const v of ['true', 'TRUE', 'True', '1', 'yes', 'YES']) expect(parseBool(v), v).toBe(true);
    for (const v of ['false', 'False', '0', 'no', 'NO']) expect(parseBool(v), v).toBe(false);
  });
  it('refuses anything else, saying what to use', () => {
    for (const v of ['', 'y', 'n', 'on', 'off', '2', 'truee', ' true']) expect(refusal(parseBool, v)).toBe('use true or false');
  });
});

describe('seconds', () => {
  const zeroOk = seconds({ allowZero: true });
  const aboveZero = seconds({ allowZero: false });
  it('takes whole and fractional seconds; 0 only where allowed', () => {
    expect(zeroOk('0')).toBe(0);
    expect(zeroOk('10')).toBe(10);
    expect(zeroOk('1.5')).toBe(1.5);
    expect(aboveZero('0.25')).toBe(0.25);
    expect(aboveZero('60')).toBe(60);
  });
  it('refuses empty, negative, infinite and non-numbers', () => {
    for (const v of ['', ' ', '-1', 'abc', '1s', 'Infinity', 'NaN']) expect(refusal(zeroOk, v), v).toBe('a number of seconds, 0 or more');
    for (const v of ['0', '-0.5', '', 'x']) expect(refusal(aboveZero, v), v).toBe('a number of seconds greater than 0');
  });
});

describe('integer', () => {
  it('takes whole numbers of at least min', () => {
    expect(integer(0)('0')).toBe(0);
    expect(integer(0)('3')).toBe(3);
    expect(integer(1)('1')).toBe(1);
    expect(integer(1)('007')).toBe(7);
  });
  it('refuses fractions, signs, words, numbers below min and beyond safe integers', () => {
    for (const v of ['', '1.5', '-1', '+1', '1e3', 'x', ' 1', String(2 ** 53)]) expect(refusal(integer(0), v), v).toBe('a whole number, at least 0');
    expect(refusal(integer(1), '0')).toBe('a whole number, at least 1');
  });
});

describe('the shared options', () => {
  const parse = (args: string[]) => {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => {} })
      .addOption(tlsVerifyOption()).addOption(stopTimeoutOption()).addOption(bootTimeoutOption());
    program.parse(args, { from: 'user' });
    return program.opts();
  };
  it('parse their values and have their defaults', () => {
    expect(parse([])).toEqual({ stopTimeout: 10, bootTimeout: 60 });
    expect(parse(['--tls-verify', 'false', '--stop-timeout', '0', '--boot-timeout', '2.5'])).toEqual({ tlsVerify: false, stopTimeout: 0, bootTimeout: 2.5 });
  });
  it('a bad value is refused by commander, naming the flag', () => {
    expect(() => parse(['--tls-verify', 'maybe'])).toThrow(/option '--tls-verify <bool>' argument 'maybe' is invalid\. use true or false/);
    expect(() => parse(['--boot-timeout', '0'])).toThrow(/--boot-timeout <seconds>.*a number of seconds greater than 0/);
  });
});

describe('parseLabels', () => {
  it('KEY=VALUE and bare KEY; an empty key or a control character is refused', () => {
    expect(parseLabels(['a=1', 'b', 'c=x=y'])).toEqual({ a: '1', b: '', c: 'x=y' });
    expect(() => parseLabels(['=x'])).toThrow(/invalid label/);
    expect(() => parseLabels(['a=\x1b[2J'])).toThrow(/invalid label/);
  });
});
