import { describe, expect, it } from 'vitest';
import { PackageCache } from '../../../../src/postroj/pkgprobe/package-cache.js';

describe('package arguments', () => {
  it('names cached downloads safely', () => {
    expect(PackageCache.fileName(new URL('http://h/p/nginx_1.2%2Bdeb_amd64.deb'))).toBe('nginx_1.2+deb_amd64.deb');
    expect(PackageCache.fileName(new URL('http://h/p/..%2F..%2Fetc%2Fpasswd.deb'))).toBe('passwd.deb');
    expect(PackageCache.fileName(new URL('http://h/p/..deb'))).toBe('_deb');
    expect(PackageCache.fileName(new URL('http://h/'))).toBe('package');
  });
});
