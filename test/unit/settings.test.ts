import { describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/settings.js';

describe('resolveSettings: registry deadlines', () => {
  it('default (left to the registry code) < environment < flags; seconds and KiB/s become ms and bytes/s', () => {
    expect(resolveSettings({}, {})).toMatchObject({ registryTimeoutMs: undefined, registryMinRate: undefined });
    const env = { RACKER_REGISTRY_TIMEOUT: '2.5', RACKER_REGISTRY_MIN_RATE: '100' };
    expect(resolveSettings({}, env)).toMatchObject({ registryTimeoutMs: 2500, registryMinRate: 100 * 1024 });
    expect(resolveSettings({ registryTimeout: '300', registryMinRate: '1' }, env)).toMatchObject({ registryTimeoutMs: 300_000, registryMinRate: 1024 });
  });

  it('refuses what is not a positive number, naming the flag and the variable', () => {
    for (const bad of ['0', '-1', 'soon', '1e3', '', '5s']) {
      expect(() => resolveSettings({}, { RACKER_REGISTRY_TIMEOUT: bad })).toThrow(/invalid --registry-timeout \/ RACKER_REGISTRY_TIMEOUT value .*expected a number of seconds greater than 0/);
    }
    expect(() => resolveSettings({ registryMinRate: 'fast' }, {})).toThrow(/invalid --registry-min-rate \/ RACKER_REGISTRY_MIN_RATE value 'fast'/);
  });
});
