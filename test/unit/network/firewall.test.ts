import { describe, expect, it } from 'vitest';
import { parsePublish } from '../../../src/network/ports.js';
import { networkRuleset, portRuleset } from '../../../src/network/firewall.js';

describe('nft rule sets', () => {
  const net = { id: 'cd'.repeat(32), bridge: 'rk-br-cdcdcdcd', subnet: '10.89.0.0/24', internal: false };

  it('a network: masquerade outward and for 127.0.0.1 DNAT, forward accept; replaced whole', () => {
    const text = networkRuleset(net);
    expect(text.split('\n').slice(0, 3)).toEqual(['table ip racker-n-cdcdcdcdcdcd {}', 'delete table ip racker-n-cdcdcdcdcdcd', 'table ip racker-n-cdcdcdcdcdcd {']);
    expect(text).toContain('    type nat hook postrouting priority srcnat; policy accept;\n'
      + '    oifname "rk-br-cdcdcdcd" ip saddr 127.0.0.0/8 masquerade\n'
      + '    oifname "rk-br-cdcdcdcd" ip saddr 10.89.0.0/24 ct status dnat masquerade\n'
      + '    ip saddr 10.89.0.0/24 oifname != "rk-br-cdcdcdcd" masquerade\n');
    // into the bridge: replies and published ports only (a neighbour routing the subnet through the host reaches nothing else)
    expect(text).toContain('    iifname "rk-br-cdcdcdcd" accept\n'
      + '    oifname "rk-br-cdcdcdcd" ct state established,related accept\n'
      + '    oifname "rk-br-cdcdcdcd" ct status dnat accept\n'
      + '    oifname "rk-br-cdcdcdcd" counter drop\n');
    // the host's loopback is not the containers' (route_localnet on the bridge, CVE-2020-8558)
    expect(text).toContain('    type filter hook prerouting priority -300; policy accept;\n    iifname "rk-br-cdcdcdcd" ip daddr 127.0.0.0/8 counter drop\n');
  });

  it('an internal network: no masquerade outward, traffic in or out of the bridge dropped', () => {
    const text = networkRuleset({ ...net, internal: true });
    expect(text).not.toContain('oifname != "rk-br-cdcdcdcd" masquerade');
    expect(text).toContain('iifname "rk-br-cdcdcdcd" oifname != "rk-br-cdcdcdcd" drop');
    expect(text).toContain('oifname "rk-br-cdcdcdcd" iifname != "rk-br-cdcdcdcd" drop');
  });

  it('published ports: DNAT in output for the host, in prerouting for others but never to 127.0.0.0/8', () => {
    const text = portRuleset({ containerId: 'ab'.repeat(32), bridge: net.bridge, ip: '10.89.0.2', ports: [parsePublish('8080:80'), parsePublish('127.0.0.1:5353:53/udp'), parsePublish('10.0.0.5:81:80')] });
    expect(text).toContain('    type nat hook prerouting priority dstnat; policy accept;\n'
      + '    fib daddr type local ip daddr != 127.0.0.0/8 tcp dport 8080 dnat to 10.89.0.2:80\n'
      + '    ip daddr 10.0.0.5 tcp dport 81 dnat to 10.89.0.2:80\n  }');
    expect(text).toContain('    type nat hook output priority -100; policy accept;\n'
      + '    fib daddr type local tcp dport 8080 dnat to 10.89.0.2:80\n'
      + '    ip daddr 127.0.0.1 udp dport 5353 dnat to 10.89.0.2:53\n'
      + '    ip daddr 10.0.0.5 tcp dport 81 dnat to 10.89.0.2:80\n  }');
    expect(text.startsWith('table ip racker-p-abababababab {}\ndelete table ip racker-p-abababababab\n')).toBe(true);
  });
});
