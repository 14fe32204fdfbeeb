import { describe, expect, it } from 'vitest';
import { parsePublish } from '../../../src/network/ports.js';
import { networkRestore, portRestore } from '../../../src/network/iptables.js';

describe('iptables chains (hosts without nft)', () => {
  const net = { id: 'cd'.repeat(32), bridge: 'rk-br-cdcdcdcd', subnet: '10.89.0.0/24', internal: false };

  it('a network: one nat chain, declared (so re-applying replaces it) and filled', () => {
    expect(networkRestore(net)).toBe('*nat\n:RACKER-N-cdcdcdcdcdcd - [0:0]\n'
      + '-A RACKER-N-cdcdcdcdcdcd -o rk-br-cdcdcdcd -s 127.0.0.0/8 -j MASQUERADE\n'
      + '-A RACKER-N-cdcdcdcdcdcd -o rk-br-cdcdcdcd -s 10.89.0.0/24 -m conntrack --ctstate DNAT -j MASQUERADE\n'
      + '-A RACKER-N-cdcdcdcdcdcd ! -o rk-br-cdcdcdcd -s 10.89.0.0/24 -j MASQUERADE\nCOMMIT\n'
      // from INPUT: the host's loopback is not the containers'; from FORWARD: into the bridge only replies and published ports
      + '*filter\n:RACKER-N-cdcdcdcdcdcd - [0:0]\n'
      + '-A RACKER-N-cdcdcdcdcdcd -i rk-br-cdcdcdcd -d 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED -j DROP\n'
      + '-A RACKER-N-cdcdcdcdcdcd -o rk-br-cdcdcdcd ! -i rk-br-cdcdcdcd -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP\nCOMMIT\n');
    const internal = networkRestore({ ...net, internal: true });
    expect(internal).not.toContain('! -o rk-br-cdcdcdcd -s 10.89.0.0/24 -j MASQUERADE');
    expect(internal).toContain('-A RACKER-N-cdcdcdcdcdcd -i rk-br-cdcdcdcd ! -o rk-br-cdcdcdcd -j DROP\n');
  });

  it('published ports: DNAT for local addresses or the one given', () => {
    expect(portRestore({ containerId: 'ab'.repeat(32), bridge: net.bridge, ip: '10.89.0.2', ports: [parsePublish('8080:80'), parsePublish('127.0.0.1:5353:53/udp')] }))
      .toBe('*nat\n:RACKER-P-abababababab - [0:0]\n'
        + '-A RACKER-P-abababababab -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.89.0.2:80\n'
        + '-A RACKER-P-abababababab -d 127.0.0.1/32 -p udp -m udp --dport 5353 -j DNAT --to-destination 10.89.0.2:53\nCOMMIT\n');
  });
});
