import { describe, expect, it } from 'vitest';
import { oneLine, parseExpectStatus, parseNetworkCheck } from '../../../../src/postroj/pkgprobe/network-check.js';

const netOpts = { expectStatus: [], followRedirects: false, tlsVerify: true, timeoutMs: 1000 };
describe('network checks', () => {
  it('parses tcp and http(s) targets with default ports', () => {
    expect(parseNetworkCheck('tcp://localhost:5432', netOpts)).toMatchObject({ kind: 'tcp', host: 'localhost', port: 5432 });
    expect(parseNetworkCheck('http://127.0.0.1/health', netOpts)).toMatchObject({ kind: 'http', port: 80, url: 'http://127.0.0.1/health' });
    expect(parseNetworkCheck('https://[::1]/', netOpts)).toMatchObject({ kind: 'http', host: '::1', port: 443 });
  });

  it('refuses targets without a port or with another scheme', () => {
    expect(() => parseNetworkCheck('tcp://localhost', netOpts)).toThrow(/needs a host and a port/);
    expect(() => parseNetworkCheck('udp://localhost:53', netOpts)).toThrow(/unsupported --check-network scheme 'udp:'/);
    expect(() => parseNetworkCheck('localhost:80', netOpts)).toThrow(/unsupported|invalid/);
    expect(() => parseNetworkCheck('not a url', netOpts)).toThrow(/invalid --check-network/);
  });

  it('parses expected statuses', () => {
    expect(parseExpectStatus(['200', '301,302'])).toEqual([200, 301, 302]);
    expect(() => parseExpectStatus(['ok'])).toThrow(/invalid --expect-status 'ok'/);
    expect(() => parseExpectStatus(['99'])).toThrow(/invalid --expect-status/);
  });

  it('shortens details to one line', () => {
    expect(oneLine('a\n  b\tc')).toBe('a b c');
    expect(oneLine('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
