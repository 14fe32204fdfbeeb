import { describe, expect, it } from 'vitest';
import { formatCidr, formatIp, overlaps, parseCidr, parseIp, parseUserSubnet, pickSubnet, takenFromIp } from '../../src/network/cidr.js';
import { exposedPorts, parsePublish, portsClash } from '../../src/network/ports.js';
import { hostsContent, nameservers, resolvContent } from '../../src/network/hosts.js';
import { networkRuleset, portRuleset } from '../../src/network/firewall.js';
import { bridgeName, netnsName, vethName } from '../../src/network/links.js';
import { networkRestore, portRestore } from '../../src/network/iptables.js';
import { RackerError } from '../../src/errors.js';

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

describe('-p parsing', () => {
  it('takes docker forms', () => {
    expect(parsePublish('8080:80')).toEqual({ hostIp: undefined, hostPort: 8080, containerPort: 80, protocol: 'tcp' });
    expect(parsePublish('127.0.0.1:8080:80/udp')).toEqual({ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'udp' });
    expect(parsePublish('80')).toEqual({ hostIp: undefined, hostPort: 0, containerPort: 80, protocol: 'tcp' });
    expect(parsePublish('127.0.0.1::80')).toEqual({ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp' });
    expect(parsePublish('0.0.0.0:1:2').hostIp).toBeUndefined();
  });

  it('refuses the rest with one line', () => {
    for (const bad of ['', '8080:', '0:0', '70000:80', '80/sctp', '8000-8010:80', 'localhost:80:80', '1:2:3:4']) {
      expect(() => parsePublish(bad), bad).toThrow(RackerError);
    }
    expect(() => parsePublish('8080:99999')).toThrow("invalid container port '99999' in -p 8080:99999");
  });

  it('-P takes the image EXPOSE keys that are ports, ignoring others', () => {
    expect(exposedPorts({ '80/tcp': {}, '53/udp': {}, '8080': {}, 'x/tcp': {}, '0/tcp': {} }))
      .toEqual([{ hostPort: 0, containerPort: 53, protocol: 'udp' }, { hostPort: 0, containerPort: 80, protocol: 'tcp' }, { hostPort: 0, containerPort: 8080, protocol: 'tcp' }]);
  });

  it('clashes: same port and protocol, on any address or the same one', () => {
    const p = (s: string) => parsePublish(s);
    expect(portsClash(p('8080:80'), p('127.0.0.1:8080:81'))).toBe(true);
    expect(portsClash(p('127.0.0.2:8080:80'), p('127.0.0.1:8080:81'))).toBe(false);
    expect(portsClash(p('8080:80'), p('8080:80/udp'))).toBe(false);
  });
});

describe('names', () => {
  it('/etc/hosts: localhost, itself, peers in address order, extra entries', () => {
    expect(hostsContent({ ip: '10.89.0.3', names: ['web', 'web'] }, [{ ip: '10.89.0.10', names: ['db', 'pg'] }, { ip: '10.89.0.2', names: ['cache'] }], [{ ip: '192.0.2.9', names: ['ext'] }]))
      .toBe('127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.89.0.3\tweb\n10.89.0.2\tcache\n10.89.0.10\tdb pg\n192.0.2.9\text\n');
  });

  it('nameservers: the host\'s without loopback ones; --dns replaces them', () => {
    const host = 'search example.org\nnameserver 127.0.0.53\nnameserver 10.255.255.53\noptions edns0\n';
    expect(nameservers(host)).toEqual({ servers: ['10.255.255.53'], dropped: ['127.0.0.53'] });
    expect(resolvContent(host)).toBe('nameserver 10.255.255.53\nsearch example.org\noptions edns0\n');
    expect(resolvContent(host, ['192.0.2.53'])).toBe('nameserver 192.0.2.53\nsearch example.org\noptions edns0\n');
  });

  it('kernel names fit 15 characters', () => {
    const id = 'ab'.repeat(32);
    const net = 'cd'.repeat(32);
    expect(netnsName(id)).toBe('rk-abababababab');
    expect(vethName(id, net)).toBe('rk-ababababacdc');
    expect(bridgeName(net)).toBe('rk-br-cdcdcdcd');
    for (const n of [vethName(id, net), bridgeName(net)]) expect(n.length).toBeLessThanOrEqual(15);
  });
});

describe('nft rule sets', () => {
  const net = { id: 'cd'.repeat(32), bridge: 'rk-br-cdcdcdcd', subnet: '10.89.0.0/24', internal: false };

  it('a network: masquerade outward and for 127.0.0.1 DNAT, forward accept; replaced whole', () => {
    const text = networkRuleset(net);
    expect(text.split('\n').slice(0, 3)).toEqual(['table ip racker-n-cdcdcdcdcdcd {}', 'delete table ip racker-n-cdcdcdcdcdcd', 'table ip racker-n-cdcdcdcdcdcd {']);
    expect(text).toContain('    type nat hook postrouting priority srcnat; policy accept;\n'
      + '    oifname "rk-br-cdcdcdcd" ip saddr 127.0.0.0/8 masquerade\n'
      + '    oifname "rk-br-cdcdcdcd" ip saddr 10.89.0.0/24 ct status dnat masquerade\n'
      + '    ip saddr 10.89.0.0/24 oifname != "rk-br-cdcdcdcd" masquerade\n');
    expect(text).toContain('    iifname "rk-br-cdcdcdcd" accept\n    oifname "rk-br-cdcdcdcd" accept\n');
  });

  it('an internal network: no masquerade outward, traffic in or out of the bridge dropped', () => {
    const text = networkRuleset({ ...net, internal: true });
    expect(text).not.toContain('oifname != "rk-br-cdcdcdcd" masquerade');
    expect(text).toContain('iifname "rk-br-cdcdcdcd" oifname != "rk-br-cdcdcdcd" drop');
    expect(text).toContain('oifname "rk-br-cdcdcdcd" iifname != "rk-br-cdcdcdcd" drop');
  });

  it('published ports: DNAT in prerouting and output, local addresses or the one given', () => {
    const text = portRuleset({ containerId: 'ab'.repeat(32), bridge: net.bridge, ip: '10.89.0.2', ports: [parsePublish('8080:80'), { ...parsePublish('127.0.0.1:5353:53/udp') }] });
    const rules = '    fib daddr type local tcp dport 8080 dnat to 10.89.0.2:80\n    ip daddr 127.0.0.1 udp dport 5353 dnat to 10.89.0.2:53\n';
    expect(text).toContain(`    type nat hook prerouting priority dstnat; policy accept;\n${rules}`);
    expect(text).toContain(`    type nat hook output priority -100; policy accept;\n${rules}`);
    expect(text.startsWith('table ip racker-p-abababababab {}\ndelete table ip racker-p-abababababab\n')).toBe(true);
  });
});

describe('iptables chains (hosts without nft)', () => {
  const net = { id: 'cd'.repeat(32), bridge: 'rk-br-cdcdcdcd', subnet: '10.89.0.0/24', internal: false };

  it('a network: one nat chain, declared (so re-applying replaces it) and filled', () => {
    expect(networkRestore(net)).toBe('*nat\n:RACKER-N-cdcdcdcdcdcd - [0:0]\n'
      + '-A RACKER-N-cdcdcdcdcdcd -o rk-br-cdcdcdcd -s 127.0.0.0/8 -j MASQUERADE\n'
      + '-A RACKER-N-cdcdcdcdcdcd -o rk-br-cdcdcdcd -s 10.89.0.0/24 -m conntrack --ctstate DNAT -j MASQUERADE\n'
      + '-A RACKER-N-cdcdcdcdcdcd ! -o rk-br-cdcdcdcd -s 10.89.0.0/24 -j MASQUERADE\nCOMMIT\n');
    const internal = networkRestore({ ...net, internal: true });
    expect(internal).not.toContain('! -o rk-br-cdcdcdcd -s 10.89.0.0/24 -j MASQUERADE');
    expect(internal).toContain('*filter\n:RACKER-N-cdcdcdcdcdcd - [0:0]\n-A RACKER-N-cdcdcdcdcdcd -i rk-br-cdcdcdcd ! -o rk-br-cdcdcdcd -j DROP\n');
  });

  it('published ports: DNAT for local addresses or the one given', () => {
    expect(portRestore({ containerId: 'ab'.repeat(32), bridge: net.bridge, ip: '10.89.0.2', ports: [parsePublish('8080:80'), parsePublish('127.0.0.1:5353:53/udp')] }))
      .toBe('*nat\n:RACKER-P-abababababab - [0:0]\n'
        + '-A RACKER-P-abababababab -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.89.0.2:80\n'
        + '-A RACKER-P-abababababab -d 127.0.0.1/32 -p udp -m udp --dport 5353 -j DNAT --to-destination 10.89.0.2:53\nCOMMIT\n');
  });
});
