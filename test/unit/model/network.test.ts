import { describe, expect, it } from 'vitest';
import { NETWORK_NAME, validateNetworkName } from '../../../src/model/network.js';

describe('validateNetworkName', () => {
  it('takes letters, digits, _ . - (not first), at most 64 characters', () => {
    for (const ok of ['front', 'shop_default', 'n.1', 'a'.repeat(64)]) expect(() => validateNetworkName(ok)).not.toThrow();
  });

  it('refuses other names, and one ending in .leases (the lease file beside a record)', () => {
    for (const bad of ['', '_x', 'a/b', 'a b', 'a'.repeat(65), 'x.leases']) expect(() => validateNetworkName(bad)).toThrow(/invalid network name/);
    expect(NETWORK_NAME.test('x.leases')).toBe(true);
  });
});
