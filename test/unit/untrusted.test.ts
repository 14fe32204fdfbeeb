import { describe, expect, it } from 'vitest';
import { printable, printableJson, shown, someOf } from '../../src/untrusted.js';
import { BUT_NEWLINE, CLEAR, TITLE } from '../helpers/untrusted-text.js';

describe('shown', () => {
  it('escapes C0, DEL and C1 controls as \\xHH', () => {
    expect(shown(`a${TITLE}b${CLEAR}\n\t\x7f\x9bc`)).toBe('a\\x1b]0;pwned\\x07b\\x1b[2J\\x0a\\x09\\x7f\\x9bc');
    expect(shown('plain linux/amd64')).toBe('plain linux/amd64');
    expect(shown('é ü 日本')).toBe('é ü 日本');
  });

  it('cuts long strings, never inside a surrogate pair', () => {
    expect(shown('x'.repeat(5000))).toBe(`${'x'.repeat(200)}…`);
    expect(shown('abcdef', 3)).toBe('abc…');
    expect(shown(`ab${'😀'}`, 3)).toBe('ab…');
    expect(shown('y'.repeat(5000), Infinity)).toHaveLength(5000);
  });

  it('shows a value that is not a string as JSON', () => {
    expect(shown({ a: 1 })).toBe('{"a":1}');
    expect(shown(undefined)).toBe('undefined');
  });
});

describe('printable', () => {
  it('keeps newlines and tabs of a multi-line message, escapes the rest', () => {
    expect(printable(`line 1\n\tline 2${CLEAR}\r`)).toBe('line 1\n\tline 2\\x1b[2J\\x0d');
  });
});

describe('printableJson', () => {
  it('escapes DEL and C1, which JSON.stringify leaves raw, and stays the same JSON', () => {
    const value = { label: `a\x7fb\x9b31mc${TITLE}`, list: ['\x85'] };
    expect(JSON.stringify(value)).toMatch(/[\x7f-\x9f]/);
    const text = printableJson(value, 2);
    expect(text).not.toMatch(BUT_NEWLINE);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('someOf', () => {
  it('names five and counts the rest', () => {
    expect(someOf(['a', 'b'])).toBe('a, b');
    expect(someOf(Array.from({ length: 1000 }, (_, i) => `p${i}`))).toBe('p0, p1, p2, p3, p4 ... and 995 more');
  });
});

describe('bidi overrides', () => {
  it('are escaped like control characters, so a name reads as it is', () => {
    expect(shown('evil\u202egpj.exe')).toBe('evil\\u202egpj.exe');
    expect(printable('a\u2066b\nc')).toBe('a\\u2066b\nc');
  });
});
