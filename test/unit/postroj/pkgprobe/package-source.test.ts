import { describe, expect, it } from 'vitest';
import { formatFromName, parsePackageSpec } from '../../../../src/postroj/pkgprobe/package-source.js';

describe('package arguments', () => {
  it('tells URLs, files and names apart', () => {
    expect(parsePackageSpec('https://example.org/pool/n/nginx_1.2_amd64.deb')).toMatchObject({ kind: 'url', format: 'deb' });
    expect(parsePackageSpec('./x.rpm')).toMatchObject({ kind: 'file', format: 'rpm', path: expect.stringMatching(/^\/.*\/x\.rpm$/) });
    expect(parsePackageSpec('hello_1.0_all.deb')).toMatchObject({ kind: 'file', format: 'deb' });
    expect(parsePackageSpec('/srv/pkgs/tool-1-1-x86_64.pkg.tar.zst')).toMatchObject({ kind: 'file', format: 'pacman' });
    expect(parsePackageSpec('nginx')).toEqual({ kind: 'name', spec: 'nginx', name: 'nginx' });
    expect(parsePackageSpec('libc6:amd64')).toMatchObject({ kind: 'name' });
    expect(parsePackageSpec('python3=3.11.2-1')).toMatchObject({ kind: 'name' });
  });

  it('refuses what no installer could take, before any work', () => {
    expect(() => parsePackageSpec('ftp://example.org/x.deb')).toThrow(/unsupported package URL scheme 'ftp:'/);
    expect(() => parsePackageSpec('https://example.org/download?id=3')).toThrow(/cannot tell the package type/);
    expect(() => parsePackageSpec('./notes.txt')).toThrow(/cannot tell the package type of \.\/notes\.txt/);
    expect(() => parsePackageSpec('-o=APT::x')).toThrow(/invalid package name/);
    expect(() => parsePackageSpec('a b')).toThrow(/invalid package name/);
    expect(() => parsePackageSpec('x\ny')).toThrow(/invalid --package/);
    expect(() => parsePackageSpec('')).toThrow(/invalid --package/);
  });

  it('knows formats by name', () => {
    expect(formatFromName('A.DEB')).toBe('deb');
    expect(formatFromName('x.pkg.tar.xz')).toBe('pacman');
    expect(formatFromName('x.apk')).toBe('apk');
    expect(formatFromName('x.tar.gz')).toBeUndefined();
  });
});
