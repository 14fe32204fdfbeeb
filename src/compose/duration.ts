/**
 * Compose durations are Go's: a sequence of number+unit, e.g. `1m30s`,
 * `1.5s`, `500ms`, `2h`, units h m s ms us ns. The model keeps milliseconds.
 * A bare number is taken as seconds (racker's choice; Compose files write units).
 */

const UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, ns: 0.000001 };

export function parseDuration(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v * 1000;
  const s = String(v).trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/gy;
  let total = 0;
  let end = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * UNITS[m[2]];
    end = re.lastIndex;
  }
  if (s === '' || end !== s.length) throw new Error(`invalid duration '${s.slice(0, 80)}'`);
  return total;
}

/** Milliseconds back to Go's form (what docker compose config prints): 90000 → 1m30s, 3600000 → 1h0m0s, 500 → 500ms. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${+ms.toFixed(6)}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sec = `${+((ms % 60_000) / 1000).toFixed(9)}s`;
  return h ? `${h}h${m}m${sec}` : m ? `${m}m${sec}` : sec;
}
