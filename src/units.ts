/**
 * The two unit grammars docker and compose files share, parsed in one place:
 * byte sizes as docker writes them (go-units' RAMInBytes: 512, 64k, 1.5g,
 * 512mb, 1GiB; powers of 1024) and Go durations (time.ParseDuration: 1h30m,
 * 1.5h, 500ms, 0). Each returns undefined for text that is not one, so the
 * caller says what was wrong in its own words (a flag, a compose key).
 */

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** Bytes (whole, rounded down), or undefined. */
export function parseByteSize(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp]?)(?:i?b)?$/i.exec(value.trim());
  if (!m) return undefined;
  const n = Math.floor(Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()]);
  return Number.isSafeInteger(n) ? n : undefined;
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Nanoseconds (may be negative, as Go allows a sign), or undefined. */
export function parseGoDuration(value: string): number | undefined {
  const s = value.trim();
  const sign = s.startsWith('-') ? -1 : 1;
  const body = s.replace(/^[-+]/, '');
  if (body === '0') return 0;
  if (body === '') return undefined;
  const re = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let end = 0;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    end = re.lastIndex;
  }
  if (end !== body.length || !Number.isFinite(total)) return undefined;
  return sign * Math.round(total);
}
