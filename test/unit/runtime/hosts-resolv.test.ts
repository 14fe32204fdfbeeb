import { describe, expect, it } from 'vitest';
import { hostsContent, nameservers, resolvContent } from '../../../src/runtime/hosts-resolv.js';

describe('a container\'s /etc/hosts and /etc/resolv.conf', () => {
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
});
