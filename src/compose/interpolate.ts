import { RackerError } from '../errors.js';
import { shown } from '../untrusted.js';

/**
 * Compose interpolation of one string: `$VAR`, `${VAR}`, `${VAR:-default}`
 * (unset or empty), `${VAR-default}` (unset), `${VAR:?message}` /
 * `${VAR?message}` (an error), `${VAR:+alt}` / `${VAR+alt}` (alt when set),
 * `$$` for a literal `$`. Defaults and alternatives are interpolated
 * themselves, so they nest: `${A:-${B:-x}}`.
 */

export type Lookup = (name: string) => string | undefined;

export class InterpolationError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
/** defaults inside defaults deeper than this are refused: no real file nests so, and a hostile one would overflow the stack */
export const MAX_NESTING = 100;
const OPERATORS = [':-', ':?', ':+', '-', '?', '+'] as const;

/** Index of the `}` closing the `${` whose body starts at `from`, counting nested `${`. */
function closingBrace(s: string, from: number): number {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '$') i++;
    else if (s[i] === '$' && s[i + 1] === '{') { depth++; i++; }
    else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function braced(body: string, lookup: Lookup, missing: (name: string) => void, depth: number): string {
  const m = NAME.exec(body);
  if (!m) throw new InterpolationError(`invalid interpolation '${shown(`${'${'}${body}}`)}': a variable name is letters, digits and _ (not starting with a digit)`);
  const name = m[0];
  const rest = body.slice(name.length);
  const value = lookup(name);
  if (rest === '') {
    if (value === undefined) missing(name);
    return value ?? '';
  }
  const op = OPERATORS.find(o => rest.startsWith(o));
  if (!op) throw new InterpolationError(`invalid interpolation '${shown(`${'${'}${body}}`)}': after the name comes }, :-, -, :?, ?, :+ or +`);
  const word = () => interpolate(rest.slice(op.length), lookup, missing, depth + 1);
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  switch (op) {
    case ':-': return nonEmpty ? value : word();
    case '-': return set ? value : word();
    case ':+': return nonEmpty ? word() : '';
    case '+': return set ? word() : '';
    case ':?':
    case '?': {
      if (op === ':?' ? nonEmpty : set) return value!;
      const message = word();
      throw new InterpolationError(`required variable ${name} is missing a value${message ? `: ${message}` : ''}`);
    }
  }
}

/** Interpolate `s`; `missing` hears of each plain `${VAR}` / `$VAR` that is not set (it becomes ''). */
export function interpolate(s: string, lookup: Lookup, missing: (name: string) => void = () => {}, depth = 0): string {
  if (depth > MAX_NESTING) throw new InterpolationError(`\${…} nested more than ${MAX_NESTING} deep`);
  let out = '';
  let i = 0;
  while (i < s.length) {
    const dollar = s.indexOf('$', i);
    if (dollar < 0) { out += s.slice(i); break; }
    out += s.slice(i, dollar);
    const next = s[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '{') {
      const end = closingBrace(s, dollar + 2);
      if (end < 0) throw new InterpolationError(`invalid interpolation '${shown(s)}': '\${' without its closing '}'`);
      out += braced(s.slice(dollar + 2, end), lookup, missing, depth);
      i = end + 1;
    } else {
      const m = NAME.exec(s.slice(dollar + 1));
      if (!m) throw new InterpolationError(`invalid interpolation '${shown(s)}': a '$' not followed by a variable name (write $$ for a literal $)`);
      const value = lookup(m[0]);
      if (value === undefined) missing(m[0]);
      out += value ?? '';
      i = dollar + 1 + m[0].length;
    }
  }
  return out;
}

/**
 * Interpolate every string value (never a key) of a parsed YAML tree, in place
 * of a copy. Errors name the file and the key path.
 */
export function interpolateTree(tree: unknown, lookup: Lookup, file: string, missing: (name: string) => void): unknown {
  const walk = (value: unknown, at: string): unknown => {
    if (typeof value === 'string') {
      try {
        return interpolate(value, lookup, missing);
      } catch (err) {
        if (err instanceof InterpolationError) throw new RackerError(`${file}: ${at}: ${err.message}`, { hint: 'set the variable in the environment or in .env, or write $$ for a literal $' });
        throw err;
      }
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${at}[${i}]`));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, at ? `${at}.${k}` : k);
      return out;
    }
    return value;
  };
  return walk(tree, '');
}
