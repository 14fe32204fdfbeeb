import { shown } from '../untrusted.js';

/** Left-aligned columns separated by three spaces, as docker prints them; cells may hold image-provided text, shown escaped. */
export function formatTable(header: string[], cells: string[][]): string {
  const rows = cells.map(r => r.map(c => shown(c, Infinity)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('   ').trimEnd() + '\n';
  return line(header) + rows.map(line).join('');
}

/** "3 minutes ago", "2 days ago": docker's CREATED column. */
export function timeAgo(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'unknown';
  const s = Math.max(0, Math.round((now - t) / 1000));
  const units: [number, string][] = [[365 * 86400, 'year'], [30 * 86400, 'month'], [7 * 86400, 'week'], [86400, 'day'], [3600, 'hour'], [60, 'minute']];
  for (const [size, name] of units) {
    const n = Math.floor(s / size);
    if (n >= 1) return `${n} ${name}${n > 1 ? 's' : ''} ago`;
  }
  return s < 2 ? 'Less than a second ago' : `${s} seconds ago`;
}
