import { RackerError } from '../errors.js';

/**
 * The part of TOML that containers-registries.conf(5) files use: comments,
 * basic and literal strings, booleans, decimal integers, arrays, [tables],
 * dotted keys and [[arrays.of.tables]]. Anything else is refused with the
 * file and line, rather than half-read.
 */
export type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
export interface TomlTable { [key: string]: TomlValue }

export function parseToml(text: string, file: string): TomlTable {
  return new TomlReader(text, file).document();
}

export function isTomlTable(v: TomlValue | undefined): v is TomlTable {
  return typeof v === 'object' && !Array.isArray(v);
}

// null prototype: a key named __proto__ is just a key
const newTable = (): TomlTable => Object.create(null) as TomlTable;
const BARE_KEY = /[A-Za-z0-9_-]+/y;
const INTEGER = /[+-]?(?:0|[1-9](?:_?[0-9])*)/y;
const ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };

class TomlReader {
  private pos = 0;
  private readonly root = newTable();
  private current = this.root;
  // TOML forbids opening a table twice, or adding [[x]] to a plain array
  private readonly defined = new WeakSet<TomlTable>();
  private readonly tableArrays = new WeakSet<TomlValue[]>();

  constructor(private readonly text: string, private readonly file: string) {}

  document(): TomlTable {
    for (;;) {
      this.skipBlankLines();
      if (this.pos >= this.text.length) return this.root;
      if (this.peek() === '[') this.header();
      else this.keyValue();
      this.endOfLine();
    }
  }

  private fail(what: string, at = this.pos): never {
    const line = this.text.slice(0, at).split('\n').length;
    throw new RackerError(`${this.file}:${line}: ${what}`, {
      hint: 'fix the TOML there (racker reads strings, booleans, integers, arrays, [tables] and [[arrays of tables]])',
    });
  }

  private peek(offset = 0): string {
    return this.text[this.pos + offset] ?? '';
  }

  private describe(): string {
    const c = this.peek();
    return c === '' ? 'end of file' : c === '\n' || c === '\r' ? 'end of line' : JSON.stringify(c);
  }

  private skipSpaces(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }

  private skipComment(): void {
    if (this.peek() !== '#') return;
    while (this.pos < this.text.length && this.peek() !== '\n') this.pos++;
  }

  /** Whitespace, newlines and comments: between statements and inside arrays. */
  private skipBlankLines(): void {
    for (;;) {
      this.skipSpaces();
      this.skipComment();
      if (this.peek() === '\n') this.pos++;
      else if (this.peek() === '\r' && this.peek(1) === '\n') this.pos += 2;
      else return;
    }
  }

  private endOfLine(): void {
    this.skipSpaces();
    this.skipComment();
    if (this.pos >= this.text.length) return;
    if (this.peek() === '\n') this.pos++;
    else if (this.peek() === '\r' && this.peek(1) === '\n') this.pos += 2;
    else this.fail(`expected the end of the line, found ${this.describe()}`);
  }

  private header(): void {
    const start = this.pos;
    const isArray = this.peek(1) === '[';
    this.pos += isArray ? 2 : 1;
    this.skipSpaces();
    const keys = this.keyPath();
    this.skipSpaces();
    if (!this.text.startsWith(isArray ? ']]' : ']', this.pos)) this.fail(`expected ${isArray ? "']]'" : "']'"} to close the table header, found ${this.describe()}`);
    this.pos += isArray ? 2 : 1;
    this.current = this.openTable(keys, isArray, start);
  }

  private openTable(keys: string[], isArray: boolean, at: number): TomlTable {
    const name = keys.join('.');
    const parent = this.walk(this.root, keys.slice(0, -1), at);
    const key = keys[keys.length - 1]!;
    const existing = parent[key];
    if (isArray) {
      if (existing === undefined) {
        const list: TomlValue[] = [];
        this.tableArrays.add(list);
        parent[key] = list;
      } else if (!Array.isArray(existing) || !this.tableArrays.has(existing)) {
        this.fail(`[[${name}]]: ${name} is already defined and is not an array of tables`, at);
      }
      const table = newTable();
      (parent[key] as TomlValue[]).push(table);
      this.defined.add(table);
      return table;
    }
    if (existing === undefined) {
      const table = newTable();
      parent[key] = table;
      this.defined.add(table);
      return table;
    }
    if (!isTomlTable(existing) || this.defined.has(existing)) this.fail(`[${name}] is defined twice`, at);
    this.defined.add(existing);
    return existing;
  }

  /** Descend through a.b.c, creating tables, and into the last element of an array of tables. */
  private walk(from: TomlTable, keys: string[], at: number, markDefined = false): TomlTable {
    let table = from;
    keys.forEach((key, i) => {
      const next = table[key];
      if (next === undefined) {
        const created = newTable();
        if (markDefined) this.defined.add(created);
        table[key] = created;
        table = created;
      } else if (isTomlTable(next)) {
        table = next;
      } else if (Array.isArray(next) && this.tableArrays.has(next)) {
        table = next[next.length - 1] as TomlTable;
      } else {
        this.fail(`${keys.slice(0, i + 1).join('.')} is a value, not a table`, at);
      }
    });
    return table;
  }

  private keyValue(): void {
    const start = this.pos;
    const keys = this.keyPath();
    this.skipSpaces();
    if (this.peek() !== '=') this.fail(`expected '=' after the key, found ${this.describe()}`);
    this.pos++;
    this.skipSpaces();
    const value = this.value();
    // dotted keys define their tables here; a later [header] may not reopen them
    const table = this.walk(this.current, keys.slice(0, -1), start, true);
    const key = keys[keys.length - 1]!;
    if (key in table) this.fail(`${keys.join('.')} is defined twice`, start);
    table[key] = value;
  }

  private keyPath(): string[] {
    const keys = [this.key()];
    for (;;) {
      this.skipSpaces();
      if (this.peek() !== '.') return keys;
      this.pos++;
      this.skipSpaces();
      keys.push(this.key());
    }
  }

  private key(): string {
    const c = this.peek();
    if (c === '"') return this.basicString();
    if (c === "'") return this.literalString();
    BARE_KEY.lastIndex = this.pos;
    const m = BARE_KEY.exec(this.text);
    if (!m) this.fail(`expected a key, found ${this.describe()}`);
    this.pos += m[0].length;
    return m[0];
  }

  private value(): TomlValue {
    const c = this.peek();
    if (c === '"') return this.basicString();
    if (c === "'") return this.literalString();
    if (c === '[') return this.array();
    if (c === '{') this.fail('inline tables are not supported; use a [table] instead');
    for (const [word, v] of [['true', true], ['false', false]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        this.expectValueEnd();
        return v;
      }
    }
    INTEGER.lastIndex = this.pos;
    const m = INTEGER.exec(this.text);
    if (m) {
      const start = this.pos;
      this.pos += m[0].length;
      this.expectValueEnd('floats, dates and non-decimal integers are not supported');
      const n = Number(m[0].replaceAll('_', ''));
      if (!Number.isSafeInteger(n)) this.fail(`integer ${m[0]} is too large`, start);
      return n;
    }
    this.fail(c === '' || c === '\n' || c === '\r' ? "expected a value after '='" : `unsupported value starting with ${this.describe()}`);
  }

  /** `truex` or `12.5` must not pass as a shorter value followed by junk. */
  private expectValueEnd(why?: string): void {
    const c = this.peek();
    if (c === '' || ' \t\r\n,]#'.includes(c)) return;
    this.fail(why ?? `unexpected ${this.describe()} after the value`);
  }

  private array(): TomlValue[] {
    const start = this.pos;
    this.pos++;
    const items: TomlValue[] = [];
    for (;;) {
      this.skipBlankLines();
      if (this.pos >= this.text.length) this.fail('unterminated array', start);
      if (this.peek() === ']') break;
      items.push(this.value());
      this.skipBlankLines();
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== ']') this.fail(this.pos >= this.text.length ? 'unterminated array' : `expected ',' or ']' in the array, found ${this.describe()}`, this.pos >= this.text.length ? start : this.pos);
    }
    this.pos++;
    return items;
  }

  private basicString(): string {
    if (this.text.startsWith('"""', this.pos)) this.fail('multi-line strings are not supported');
    const start = this.pos++;
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === '' || c === '\n' || c === '\r') this.fail('unterminated string', start);
      this.pos++;
      if (c === '"') return out;
      if (c === '\\') out += this.escape();
      else if (/[\x00-\x08\x0a-\x1f\x7f]/.test(c)) this.fail('control characters must be escaped in strings', this.pos - 1);
      else out += c;
    }
  }

  private escape(): string {
    const c = this.peek();
    const simple = ESCAPES[c];
    if (simple !== undefined) {
      this.pos++;
      return simple;
    }
    const len = c === 'u' ? 4 : c === 'U' ? 8 : 0;
    const hex = this.text.slice(this.pos + 1, this.pos + 1 + len);
    const code = parseInt(hex, 16);
    if (len === 0 || !/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== len
      || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      this.fail(`invalid escape \\${c === '' ? '' : c}${len ? hex : ''}`, this.pos - 1);
    }
    this.pos += 1 + len;
    return String.fromCodePoint(code);
  }

  private literalString(): string {
    if (this.text.startsWith("'''", this.pos)) this.fail('multi-line strings are not supported');
    const start = this.pos++;
    const end = this.text.indexOf("'", this.pos);
    const newline = this.text.slice(this.pos, end < 0 ? undefined : end).search(/[\r\n]/);
    if (end < 0 || newline >= 0) this.fail('unterminated string', start);
    const s = this.text.slice(this.pos, end);
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(s)) this.fail('control characters are not allowed in literal strings', start);
    this.pos = end + 1;
    return s;
  }
}
