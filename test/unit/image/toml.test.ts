import { describe, it, expect } from 'vitest';
import { isTomlTable, parseToml } from '../../../src/image/toml.js';
import { RackerError } from '../../../src/errors.js';

function failure(fn: () => unknown): RackerError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RackerError);
    expect((err as RackerError).hint).toBeTruthy();
    return err as RackerError;
  }
  throw new Error('expected a RackerError');
}

describe('parseToml', () => {
  it('reads strings, escapes, booleans, integers, arrays and comments', () => {
    const doc = parseToml([
      '# a comment',
      'basic = "a\\"b\\\\c\\t\\u00e9\\U0001F600" # trailing comment',
      "literal = 'C:\\no\\escapes'",
      'yes = true',
      'no = false',
      'n = -1_000',
      'zero = 0',
      'list = [',
      '  "a", # inside',
      "  'b',",
      '',
      ']',
      'empty = []',
      '"quoted key" = "q"',
      'dotted.key = 1',
      'nested = [["x"], []]',
    ].join('\r\n'), 'f.toml');
    expect(doc).toEqual({
      basic: 'a"b\\c\té😀',
      literal: 'C:\\no\\escapes',
      yes: true,
      no: false,
      n: -1000,
      zero: 0,
      list: ['a', 'b'],
      empty: [],
      'quoted key': 'q',
      dotted: { key: 1 },
      nested: [['x'], []],
    });
  });

  it('reads tables, sub-tables and arrays of tables with nested arrays', () => {
    const doc = parseToml([
      'top = 1',
      '[a]',
      'x = "1"',
      '[a.b]',
      'y = "2"',
      '[[registry]]',
      'location = "r1"',
      '[[registry.mirror]]',
      'location = "m1"',
      '[[registry.mirror]]',
      'location = "m2"',
      '[[registry]]',
      'location = "r2"',
      '[[registry.mirror]]',
      'location = "m3"',
      '[ "q" . r ]',
    ].join('\n'), 'f.toml');
    expect(doc).toEqual({
      top: 1,
      a: { x: '1', b: { y: '2' } },
      registry: [
        { location: 'r1', mirror: [{ location: 'm1' }, { location: 'm2' }] },
        { location: 'r2', mirror: [{ location: 'm3' }] },
      ],
      q: { r: {} },
    });
  });

  it('reads the rest of TOML 1.0: floats, dates, other bases, inline tables, multi-line strings', () => {
    const doc = parseToml([
      'f = 2.5',
      'd = 1979-05-27',
      'hex = 0x1f',
      'inline = { b = 1, c = ["x"] }',
      'ml = """',
      'one\\',
      '  two"""',
      "raw = '''a\\b'''",
    ].join('\n'), 'f.toml');
    expect(doc.f).toBe(2.5);
    expect(doc.d).toBeInstanceOf(Date);
    expect((doc.d as Date).toISOString().slice(0, 10)).toBe('1979-05-27');
    expect(doc.hex).toBe(31);
    expect(doc.inline).toEqual({ b: 1, c: ['x'] });
    expect(doc.ml).toBe('onetwo');
    expect(doc.raw).toBe('a\\b');
    expect(isTomlTable(doc.inline)).toBe(true);
    expect(isTomlTable(doc.d)).toBe(false);
    expect(isTomlTable([])).toBe(false);
  });

  it('treats __proto__ as an ordinary key', () => {
    const doc = parseToml('__proto__ = "x"\n[constructor]\na = 1', 'f.toml');
    expect(doc['__proto__']).toBe('x');
    expect(({} as Record<string, unknown>).a).toBeUndefined();
  });

  it.each<[string, number, RegExp]>([
    ['\n\na = "open', 3, /unfinished string/],
    ["a = 'open\n'", 1, /control characters/],
    ['a = "x" b = 1', 1, /followed by an end-of-line/],
    ['a = truex', 1, /followed by an end-of-line/],
    ['a =', 1, /invalid value/],
    ['a "x"', 1, /illegal character in key/],
    ['= 1', 1, /end of key/],
    ['a = 1\na = 2', 2, /redefine an already defined/],
    ['[t]\n[t]', 2, /redefine an already defined/],
    ['a = 1\n[a]', 2, /redefine an already defined/],
    ['a = 1\n[a.b]', 2, /redefine an already defined/],
    ['a.b = 1\n[a]', 2, /redefine an already defined/],
    ['a = []\n[[a]]', 2, /redefine an already defined/],
    ['[a\nx = 1', 1, /illegal character in key/],
    ['[[a]\n', 1, /end of table array/],
    // noticed at the end of the file, where the array should have closed
    ['a = [\n"x",\n', 3, /invalid value/],
    ['a = ["x" "y"]', 1, /expected comma/],
    ['a = "\\q"', 1, /escape/],
    ['a = "\\uD800"', 1, /unicode escape/],
    ['a = "\\u12"', 1, /unicode escape/],
    ['a = "tab\x01"', 1, /control characters/],
    ['a = 99999999999999999999', 1, /losslessly/],
    ['a = yes', 1, /invalid value/],
  ])('refuses %j at line %i, in one line', (text, line, why) => {
    const e = failure(() => parseToml(text, 'conf.toml'));
    expect(e.message.startsWith(`conf.toml:${line}: `), e.message).toBe(true);
    expect(e.message).toMatch(why);
    expect(e.message).not.toContain('\n');
    expect(e.message).not.toContain('Invalid TOML document');
  });
});
