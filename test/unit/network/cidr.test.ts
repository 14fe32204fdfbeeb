import { describe, expect, it } from 'vitest';
import { formatCidr, formatIp, overlaps, parseCidr, parseIp, parseUserSubnet, pickSubnet, takenFromIp } from '../../../src/network/cidr.js';
import { RackerError } from '../../../src/errors.js';

const cidr = (s: string) => parseCidr(s, false)!;

describe('CIDR math', () => {
  it('parses and formats addresses, refusing what is not one', () => {
    expect(formatIp(parseIp('10.89.3.254')!)).toBe('10.89.3.254');
    expect(parseIp('255.255.255.255')).toBe(0xffffffff);
    for (const bad of ['10.89.3', '256.1.1.1', '01.2.3.4', '1.2.3.4 ', 'a.b.c.d']) expect(parseIp(bad)).toBeUndefined();
  });

  it('a subnet must start at its network address; overlaps both ways', () => {
    expect(parseCidr('10.89.0.1/24')).toBeUndefined();
    expect(formatCidr(parseCidr('10.89.0.1/24', false)!)).toBe('10.89.0.0/24');
    expect(overlaps(cidr('10.0.0.0/8'), cidr('10.89.4.0/24'))).toBe(true);
    expect(overlaps(cidr('10.89.4.0/24'), cidr('10.0.0.0/8'))).toBe(true);
    expect(overlaps(cidr('10.89.4.0/24'), cidr('10.89.5.0/24'))).toBe(false);
  });

  it('--subnet: /8 to /29, one clear error otherwise', () => {
    expect(formatCidr(parseUserSubnet('172.30.0.0/16'))).toBe('172.30.0.0/16');
    for (const bad of ['172.30.0.1/16', '10.0.0.0/30', '10.0.0.0/7', 'x/24', '10.0.0.0']) {
      expect(() => parseUserSubnet(bad)).toThrow(RackerError);
    }
  });

  it('the pool skips the subnets of the host routes and addresses, but not the default route', () => {
    const routes = [{ dst: 'default', gateway: '192.0.2.1' }, { dst: '10.89.0.0/24' }, { dst: '10.89.1.7' }];
    const addrs = [{ ifname: 'eth1', addr_info: [{ family: 'inet', local: '10.89.2.9', prefixlen: 23 }, { family: 'inet6', local: 'fd00::1', prefixlen: 64 }] }];
    const taken = takenFromIp(routes, addrs);
    expect(taken.map(formatCidr)).toEqual(['10.89.0.0/24', '10.89.1.7/32', '10.89.2.0/23']);
    expect(formatCidr(pickSubnet(taken)!)).toBe('10.89.4.0/24');
    expect(pickSubnet([cidr('10.0.0.0/8')])).toBeUndefined();
    // garbage from ip is ignored, not trusted
    expect(takenFromIp([{ dst: 7 }, null], 'x')).toEqual([]);
  });
});
