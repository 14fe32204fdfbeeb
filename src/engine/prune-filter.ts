import { RackerError } from '../errors.js';
import { printable } from '../untrusted.js';

/**
 * docker's prune filters: `until=TIMESTAMP|DURATION` (only what was created
 * before), `label=KEY[=VALUE]` and `label!=KEY[=VALUE]` (with or without the
 * label). Several label filters must all hold; `until` may be given once.
 */
export interface PruneFilter {
  /** ms since the epoch; only things created before it */
  until?: number;
  labels: { key: string; value?: string; negate: boolean }[];
}

const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:h|m|s|ms|us|µs|ns))+$/;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, ns: 0.000001 };

/** docker's `until`: a Go duration back from now (`24h`, `1h30m`), unix seconds, or an RFC 3339 date or time. */
export function parseUntil(value: string, now = Date.now()): number {
  if (GO_DURATION.test(value)) {
    let ms = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) ms += Number(m[1]) * UNIT_MS[m[2]];
    return now - ms;
  }
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  if (/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/.test(value)) {
    const t = Date.parse(value.replace(' ', 'T'));
    if (!Number.isNaN(t)) return t;
  }
  throw new RackerError(`invalid filter 'until=${printable(value.slice(0, 80))}'`, { hint: 'use a duration such as 24h or 90m, a unix time, or a date such as 2026-01-31T12:00:00Z' });
}

export function parsePruneFilters(filters: string[], now = Date.now()): PruneFilter {
  const out: PruneFilter = { labels: [] };
  for (const f of filters) {
    const m = /^(until|label|label!)=(.*)$/s.exec(f);
    if (!m) throw new RackerError(`invalid filter '${printable(f.slice(0, 80))}'`, { hint: 'prune takes until=DURATION|TIME, label=KEY[=VALUE] and label!=KEY[=VALUE]' });
    const [, key, value] = m;
    if (key === 'until') {
      if (out.until !== undefined) throw new RackerError('the until filter may be given once', { hint: 'keep one --filter until=…' });
      out.until = parseUntil(value, now);
      continue;
    }
    if (value === '') throw new RackerError(`invalid filter '${key}=': no label named`, { hint: 'use label=KEY or label=KEY=VALUE' });
    const eq = value.indexOf('=');
    out.labels.push({ key: eq < 0 ? value : value.slice(0, eq), value: eq < 0 ? undefined : value.slice(eq + 1), negate: key === 'label!' });
  }
  return out;
}

/** Whether a thing created at `created` (ISO time) with `labels` is one the filter lets prune. */
export function pruneMatches(f: PruneFilter, created: string | undefined, labels: Record<string, string> | null | undefined): boolean {
  if (f.until !== undefined) {
    const t = created ? Date.parse(created) : NaN;
    if (Number.isNaN(t) || t >= f.until) return false;
  }
  const have = labels ?? {};
  return f.labels.every(l => {
    const has = Object.hasOwn(have, l.key) && (l.value === undefined || have[l.key] === l.value);
    return l.negate ? !has : has;
  });
}
