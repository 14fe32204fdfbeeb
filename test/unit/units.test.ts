import { describe, expect, it } from 'vitest';
import { parseByteSize, parseGoDuration } from '../../src/units.js';

describe('byte sizes (docker\'s grammar)', () => {
  it('numbers with k, m, g, t, p (powers of 1024), an optional i and b, any case', () => {
    expect(parseByteSize('512')).toBe(512);
    expect(parseByteSize('64k')).toBe(65536);
    expect(parseByteSize('1.5g')).toBe(1.5 * 1024 ** 3);
    expect(parseByteSize('512MB')).toBe(512 * 1024 ** 2);
    expect(parseByteSize('1GiB')).toBe(1024 ** 3);
    expect(parseByteSize('2 m')).toBe(2 * 1024 ** 2);
    expect(parseByteSize('100b')).toBe(100);
  });

  it('anything else is not a size', () => {
    for (const s of ['', 'm', '1q', '-1', '1..5m', '1e3', '1 gb extra', '99999999999999999p']) expect(parseByteSize(s), s).toBeUndefined();
  });
});

describe('durations (Go\'s grammar)', () => {
  it('sequences of number+unit, decimals, a sign, and a bare 0', () => {
    expect(parseGoDuration('1.5h')).toBe(1.5 * 3600e9);
    expect(parseGoDuration('1h30m')).toBe(5400e9);
    expect(parseGoDuration('500ms')).toBe(500e6);
    expect(parseGoDuration('1m30.5s')).toBe(90.5e9);
    expect(parseGoDuration('.5s')).toBe(0.5e9);
    expect(parseGoDuration('10µs')).toBe(10e3);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('-2s')).toBe(-2e9);
  });

  it('anything else is not a duration', () => {
    for (const s of ['', '10', '1 h', 'h', '1d', '1h 30m', '1.5.5s', '--1s']) expect(parseGoDuration(s), s).toBeUndefined();
  });
});
