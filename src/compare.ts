/**
 * Orderings for sort(). String.prototype.localeCompare loads ICU's collator
 * on first use, ~6 ms of every start that sorts: the names, ids, times and
 * addresses racker sorts are ASCII, and code-point order is what it needs.
 */

/** Code-point order of two strings. */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Dotted IPv4 addresses by their numbers (10.0.0.9 before 10.0.0.10); anything else after, by text. */
export function byIPv4(a: string, b: string): number {
  const na = a.split('.').map(Number);
  const nb = b.split('.').map(Number);
  const ok = (n: number[]) => n.length === 4 && n.every(x => Number.isInteger(x));
  if (!ok(na) || !ok(nb)) return ok(na) ? -1 : ok(nb) ? 1 : byText(a, b);
  for (let i = 0; i < 4; i++) if (na[i] !== nb[i]) return na[i] - nb[i];
  return 0;
}
