import { describe, expect, it } from 'vitest';
import { exposedPorts, parsePublish, portsClash, publishSpecs } from '../../../src/network/ports.js';
import { RackerError } from '../../../src/errors.js';

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
    expect(() => parsePublish('8080:99999')).toThrow('invalid containerPort: 99999 (in -p 8080:99999)');
    expect(() => parsePublish('[::1]:80:80')).toThrow("invalid host address '::1' in -p [::1]:80:80");
    expect(() => publishSpecs('8000-8010:80')).toThrow(/host port range for one container port/);
  });

  it('a range is one spec per port', () => {
    expect(publishSpecs('127.0.0.1:8000-8001:80-81/udp')).toEqual([
      { hostIp: '127.0.0.1', hostPort: 8000, containerPort: 80, protocol: 'udp' },
      { hostIp: '127.0.0.1', hostPort: 8001, containerPort: 81, protocol: 'udp' },
    ]);
    expect(publishSpecs('80-81').map(p => [p.hostPort, p.containerPort])).toEqual([[0, 80], [0, 81]]);
    expect(() => parsePublish('80-81')).toThrow(/names 2 ports/);
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
