import { describe, expect, it } from 'vitest';
import { dependencyOrder, stopOrder } from '../../../src/compose/order.js';
import { load, loadError } from './helpers.js';

describe('dependency order', () => {
  const services = (yaml: string) => load({ 'compose.yaml': yaml }).project.services;

  it('dependencies first, ties by name, network_mode: service: counts', () => {
    const s = services([
      'services:',
      '  web:', '    image: x', '    depends_on: [api, cache]',
      '  api:', '    image: x', '    depends_on: {db: {condition: service_healthy}, migrate: {condition: service_completed_successfully}}',
      '  migrate:', '    image: x', '    depends_on: [db]',
      '  db:', '    image: x',
      '  cache:', '    image: x',
      '  sidecar:', '    image: x', '    network_mode: "service:web"',
    ].join('\n'));
    const order = dependencyOrder(s);
    expect(order).toEqual(['db', 'migrate', 'api', 'cache', 'web', 'sidecar']);
    for (const [name, svc] of Object.entries(s)) for (const d of Object.keys(svc.depends_on)) expect(order.indexOf(d)).toBeLessThan(order.indexOf(name));
    expect(stopOrder(s)).toEqual([...order].reverse());
  });

  it('a cycle is an error naming it', () => {
    expect(loadError({ 'compose.yaml': [
      'services:', '  a:', '    image: x', '    depends_on: [b]', '  b:', '    image: x', '    depends_on: [c]', '  c:', '    image: x', '    depends_on: [a]', '  d:', '    image: x',
    ].join('\n') })).toMatch(/dependency cycle between services: a -> b -> c -> a/);
    expect(loadError({ 'compose.yaml': 'services:\n  a:\n    image: x\n    depends_on: [a]\n' })).toMatch(/cycle between services: a -> a/);
  });
});
