import { describe, expect, it } from 'vitest';
import { configHash, stableJson } from '../../../src/compose/hash.js';
import { load } from './helpers.js';

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

describe('keys a service does not use', () => {
  it('are not part of the hash: a file without cap_add hashes as it did before the key existed', () => {
    const { project } = load({ 'compose.yaml': 'services:\n  a:\n    image: x\n' });
    const a = project.services.a;
    const { cap_add: _1, cap_drop: _2, privileged: _3, security_opt: _4, sysctls: _5, ulimits: _6, devices: _7, secrets: _8, configs: _9, ...before } = a;
    expect(configHash(a)).toBe(configHash(before as typeof a));
    expect(configHash({ ...a, cap_add: ['NET_ADMIN'] })).not.toBe(configHash(a));
  });
});
