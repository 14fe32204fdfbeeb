import { parseGoDuration } from '../units.js';

/**
 * Compose durations are Go's: a sequence of number+unit, e.g. `1m30s`,
 * `1.5s`, `500ms`, `2h`, units h m s ms us ns. The model keeps milliseconds.
 * A bare number is taken as seconds (racker's choice; Compose files write units).
 */

export function parseDuration(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v * 1000;
  const s = String(v).trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  // Go's grammar (src/units.ts), as --health-interval and logs --since take it
  const ns = parseGoDuration(s);
  if (ns === undefined || ns < 0) throw new Error(`invalid duration '${s.slice(0, 80)}'`);
  return ns / 1e6;
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
