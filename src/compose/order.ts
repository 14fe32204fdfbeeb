import { RackerError } from '../errors.js';
import type { ServiceConfig } from './types.js';

/**
 * Services in dependency order (depends_on and network_mode: service:X
 * first), ties broken by name so the order is stable. A cycle is an error
 * naming it.
 */
export function dependencyOrder(services: Record<string, ServiceConfig>): string[] {
  const deps = (name: string): string[] => {
    const s = services[name];
    const viaNet = /^service:(.*)$/.exec(s.network_mode ?? '')?.[1];
    return [...new Set([...Object.keys(s.depends_on), ...(viaNet ? [viaNet] : [])])].filter(d => services[d]).sort();
  };
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      throw new RackerError(`dependency cycle between services: ${cycle.join(' -> ')}`, { hint: 'remove one of these depends_on (or network_mode: service:) entries' });
    }
    state.set(name, 'visiting');
    for (const d of deps(name)) visit(d, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of Object.keys(services).sort()) visit(name, []);
  return order;
}

/** The reverse, for stopping: dependents before what they depend on. */
export function stopOrder(services: Record<string, ServiceConfig>): string[] {
  return dependencyOrder(services).reverse();
}
