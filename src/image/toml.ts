import { parse, TomlError } from 'smol-toml';
import { RackerError } from '../errors.js';

/**
 * TOML 1.0, read with smol-toml, for containers-registries.conf(5) files.
 * A syntax error becomes one line naming the file and the line.
 */
export type TomlValue = string | number | boolean | Date | TomlValue[] | TomlTable;
export interface TomlTable { [key: string]: TomlValue }

const PREFIX = 'Invalid TOML document: ';

export function parseToml(text: string, file: string): TomlTable {
  try {
    // integers past 2^53 are refused rather than rounded; __proto__ is an ordinary own key
    return parse(text, { integersAsBigInt: false }) as TomlTable;
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    // the message's first line is the reason; the rest quotes the file around the error
    const first = err.message.split('\n', 1)[0]!;
    const reason = first.startsWith(PREFIX) ? first.slice(PREFIX.length) : first;
    throw new RackerError(`${file}:${err.line}: ${reason}`, {
      cause: err,
      hint: 'fix the TOML there (see containers-registries.conf(5) for the format)',
    });
  }
}

/** A [table] or an inline { table }; dates are objects too, but not tables. */
export function isTomlTable(v: TomlValue | undefined): v is TomlTable {
  return typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}
