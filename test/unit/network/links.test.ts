import { describe, expect, it } from 'vitest';
import { bridgeName, netnsName, vethName } from '../../../src/network/links.js';

describe('link names', () => {
  it('kernel names fit 15 characters', () => {
    const id = 'ab'.repeat(32);
    const net = 'cd'.repeat(32);
    expect(netnsName(id)).toBe('rk-abababababab');
    expect(vethName(id, net)).toBe('rk-ababababacdc');
    expect(bridgeName(net)).toBe('rk-br-cdcdcdcd');
    for (const n of [vethName(id, net), bridgeName(net)]) expect(n.length).toBeLessThanOrEqual(15);
  });
});
