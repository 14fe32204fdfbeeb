import { RackerError } from '../errors.js';
import type { ContainerRecord } from '../model/container.js';

/** `ps --filter`: KEY=VALUE, several of one key match any (OR), different keys all (AND), as docker. */
export type PsFilters = Map<string, string[]>;

const KEYS = ['label', 'name', 'status', 'id', 'health'];
const STATUSES = ['created', 'running', 'exited', 'restarting', 'removing', 'paused', 'dead'];

export function parsePsFilters(list: string[]): PsFilters {
  const out: PsFilters = new Map();
  for (const f of list) {
    const eq = f.indexOf('=');
    const key = eq < 0 ? f : f.slice(0, eq);
    const value = eq < 0 ? '' : f.slice(eq + 1);
    if (!KEYS.includes(key) || eq < 0 || value === '') throw new RackerError(`invalid filter ${JSON.stringify(f.slice(0, 80))}`, { hint: `KEY=VALUE with KEY one of ${KEYS.join(', ')}` });
    if (key === 'status' && !STATUSES.includes(value)) throw new RackerError(`invalid filter status=${value.slice(0, 40)}`, { hint: `one of ${STATUSES.join(', ')}` });
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

function matchOne(c: ContainerRecord, key: string, value: string): boolean {
  switch (key) {
    case 'label': {
      const eq = value.indexOf('=');
      const labels = c.spec.labels ?? {};
      return eq < 0 ? Object.hasOwn(labels, value) : labels[value.slice(0, eq)] === value.slice(eq + 1);
    }
    // docker matches names by substring (a regular expression, in fact)
    case 'name': return c.name.includes(value);
    case 'status': return c.state.status === value;
    case 'id': return c.id.startsWith(value);
    case 'health': return (c.state.health?.status ?? 'none') === value;
    default: return false;
  }
}

export function matchesFilters(c: ContainerRecord, filters: PsFilters): boolean {
  return [...filters].every(([key, values]) => values.some(v => matchOne(c, key, v)));
}
