import { describe, expect, it } from 'vitest';
import { configHash, stableJson } from '../../../src/compose/hash.js';
import { containerLabels, containerName, LABEL } from '../../../src/compose/naming.js';
import { dependencyOrder, stopOrder } from '../../../src/compose/order.js';
import { load, loadError } from './helpers.js';

const BASE = 'services:\n  web:\n    image: nginx\n    environment: {A: "1", B: "2"}\n    ports: ["8080:80"]\n';
const hashOf = (yaml: string, opts = {}) => configHash(load({ 'compose.yaml': yaml }, opts).project.services.web);

describe('the config hash', () => {
  it('is stable: same config, key order, list vs map syntax, another load', () => {
    const h = hashOf(BASE);
    expect(h).toMatch(/^[a-f0-9]{64}$/);
    expect(hashOf(BASE)).toBe(h);
    expect(hashOf('services:\n  web:\n    ports: ["8080:80"]\n    environment: [B=2, A=1]\n    image: nginx\n')).toBe(h);
    expect(hashOf('services:\n  web:\n    image: nginx\n    environment: {A: "1", B: "2"}\n    ports: [{target: 80, published: "8080"}]\n')).toBe(h);
  });

  it('does not change with scale, depends_on, profiles or pull_policy', () => {
    const h = hashOf(BASE);
    expect(hashOf(`${BASE}    scale: 3\n`)).toBe(h);
    expect(hashOf(`${BASE}    pull_policy: always\n`)).toBe(h);
    expect(hashOf(`${BASE}    profiles: [p]\n`, { profiles: ['p'] })).toBe(h);
    expect(hashOf(`${BASE}    depends_on: [db]\n  db:\n    image: x\n`)).toBe(h);
    // nor with another service or a top-level change
    expect(hashOf(`${BASE}  other:\n    image: y\nvolumes:\n  v:\n`)).toBe(h);
  });

  it('changes with what the container is made of', () => {
    const h = hashOf(BASE);
    const changed = [
      BASE.replace('nginx', 'nginx:2'),
      BASE.replace('"2"', '"3"'),
      BASE.replace('8080:80', '8081:80'),
      `${BASE}    command: ["x"]\n`,
      `${BASE}    volumes: ["/a:/a"]\n`,
      `${BASE}    labels: {a: b}\n`,
      `${BASE}    restart: always\n`,
      `${BASE}    x-racker: {boot: true}\n`,
      `${BASE}    healthcheck: {test: "true"}\n`,
      `${BASE}    stop_grace_period: 3s\n`,
    ].map(y => hashOf(y));
    for (const c of changed) expect(c).not.toBe(h);
    expect(new Set(changed).size).toBe(changed.length);
    // an interpolated value is part of it
    const interp = 'services:\n  web:\n    image: "nginx:${TAG}"\n';
    expect(hashOf(interp, { env: { TAG: '1' } })).not.toBe(hashOf(interp, { env: { TAG: '2' } }));
  });

  it('stableJson sorts keys at every depth and keeps list order', () => {
    expect(stableJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
  });
});

describe('names and labels', () => {
  it('<project>-<service>-<n>, container_name overrides; compose labels win over the service\'s', () => {
    const { project } = load({ 'compose.yaml': [
      'services:', '  web:', '    image: x', `    labels: {mine: "1", "${LABEL.project}": spoofed}`, '  db:', '    image: x', '    container_name: the-db',
    ].join('\n') }, { projectName: 'shop' });
    expect(containerName('shop', project.services.web, 2)).toBe('shop-web-2');
    expect(containerName('shop', project.services.db, 1)).toBe('the-db');
    const labels = containerLabels(project, project.services.web, 2, 'h');
    expect(labels).toMatchObject({
      mine: '1', [LABEL.project]: 'shop', [LABEL.service]: 'web', [LABEL.number]: '2', [LABEL.hash]: 'h', [LABEL.oneoff]: 'False',
      [LABEL.workingDir]: project.workingDir, [LABEL.configFiles]: project.configFiles[0],
    });
  });
});

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
