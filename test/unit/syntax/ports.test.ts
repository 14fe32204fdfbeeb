import { describe, expect, it } from 'vitest';
import { parsePortSyntax } from '../../../src/syntax/ports.js';

describe('short port syntax', () => {
  it('reads every part docker reads', () => {
    expect(parsePortSyntax('80')).toEqual({ containerPorts: [80, 80], protocol: 'tcp' });
    expect(parsePortSyntax('8080:80')).toEqual({ hostPorts: [8080, 8080], containerPorts: [80, 80], protocol: 'tcp' });
    expect(parsePortSyntax('127.0.0.1::80/udp')).toEqual({ hostIp: '127.0.0.1', containerPorts: [80, 80], protocol: 'udp' });
    expect(parsePortSyntax('[::1]:6001:6001')).toEqual({ hostIp: '::1', hostPorts: [6001, 6001], containerPorts: [6001, 6001], protocol: 'tcp' });
    expect(parsePortSyntax('::1:6001:6001').hostIp).toBe('::1');
    expect(parsePortSyntax('9000-9001:80-81/TCP')).toEqual({ hostPorts: [9000, 9001], containerPorts: [80, 81], protocol: 'tcp' });
    expect(parsePortSyntax('9000-9010:80').hostPorts).toEqual([9000, 9010]);
    expect(parsePortSyntax('0:80').hostPorts).toEqual([0, 0]);
    expect(parsePortSyntax('80/').protocol).toBe('tcp');
  });

  it('refuses with docker\'s texts', () => {
    expect(() => parsePortSyntax('')).toThrow('no port specified: <empty>');
    expect(() => parsePortSyntax('8080:')).toThrow('no port specified: 8080:<empty>');
    expect(() => parsePortSyntax('80:http')).toThrow('invalid containerPort: http');
    expect(() => parsePortSyntax('0')).toThrow('invalid containerPort: 0');
    expect(() => parsePortSyntax('70000')).toThrow('invalid containerPort: 70000');
    expect(() => parsePortSyntax('81-80')).toThrow('invalid containerPort: 81-80');
    expect(() => parsePortSyntax('x:80')).toThrow('invalid hostPort: x');
    expect(() => parsePortSyntax('localhost:80:80')).toThrow('invalid IP address: localhost');
    expect(() => parsePortSyntax('[::1:80:80')).toThrow(/invalid IP address/);
    expect(() => parsePortSyntax('1-3:1-2')).toThrow('invalid ranges specified for container and host Ports: 1-2 and 1-3');
    expect(() => parsePortSyntax('80/sctp')).toThrow('invalid proto: sctp');
  });
});
