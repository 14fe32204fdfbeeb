import { describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { formatFromName, parsePackageSpec } from '../../src/postroj/pkgprobe/package-source.js';
import { oneLine, parseExpectStatus, parseNetworkCheck } from '../../src/postroj/pkgprobe/network-check.js';
import { AptInstaller, checkFormat, installerFor, parseOsRelease, type RootfsFacts } from '../../src/postroj/pkgprobe/installers.js';
import { isValidUnitName, unitName } from '../../src/postroj/pkgprobe/unit-check.js';
import { summarize, toJunit, type ImageReport } from '../../src/postroj/pkgprobe/report.js';
import { probeContainerName } from '../../src/postroj/pkgprobe/prepare.js';
import { PackageCache } from '../../src/postroj/pkgprobe/package-cache.js';

const netOpts = { expectStatus: [], followRedirects: false, tlsVerify: true, timeoutMs: 1000 };

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

  it('names cached downloads safely', () => {
    expect(PackageCache.fileName(new URL('http://h/p/nginx_1.2%2Bdeb_amd64.deb'))).toBe('nginx_1.2+deb_amd64.deb');
    expect(PackageCache.fileName(new URL('http://h/p/..%2F..%2Fetc%2Fpasswd.deb'))).toBe('passwd.deb');
    expect(PackageCache.fileName(new URL('http://h/p/..deb'))).toBe('_deb');
    expect(PackageCache.fileName(new URL('http://h/'))).toBe('package');
  });
});

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

describe('distributions and their installers', () => {
  const facts = (osRelease: string, tools: string[] = [], lists = true): RootfsFacts => ({
    os: parseOsRelease(osRelease), has: async p => tools.includes(p), aptListsPresent: async () => lists,
  });

  it('reads os-release with quotes and ID_LIKE', () => {
    expect(parseOsRelease('ID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 24.04 LTS"\n')).toEqual({ id: 'ubuntu', idLike: ['debian'], prettyName: 'Ubuntu 24.04 LTS' });
    expect(parseOsRelease('ID="rocky"\nID_LIKE="rhel centos fedora"\n# c\nNAME=\'Rocky\'')).toEqual({ id: 'rocky', idLike: ['rhel', 'centos', 'fedora'], prettyName: 'Rocky' });
    expect(parseOsRelease('')).toEqual({ id: 'linux', idLike: [], prettyName: 'Linux' });
  });

  it('installs debs with apt non-interactively, updating lists only when there are none', async () => {
    const apt = await installerFor(facts('ID=debian', [], true));
    expect(apt).toBeInstanceOf(AptInstaller);
    const [step] = apt.installSteps(['/var/cache/postroj/packages/0-x.deb'], ['curl']);
    expect(step.argv).toEqual(['apt-get', 'install', '-y', '-q', '--no-install-recommends', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', '/var/cache/postroj/packages/0-x.deb', 'curl']);
    expect(step.env).toContainEqual(['DEBIAN_FRONTEND', 'noninteractive']);
    expect(step.env).toContainEqual(['NEEDRESTART_MODE', 'a']);
    const noLists = (await installerFor(facts('ID=ubuntu', [], false))).installSteps([], ['nginx']);
    expect(noLists.map(s => s.argv.slice(0, 2))).toEqual([['apt-get', '-q'], ['apt-get', 'install']]);
  });

  it('picks dnf, yum, zypper or pacman by distribution and tools', async () => {
    expect((await installerFor(facts('ID=fedora', ['/usr/bin/dnf']))).installSteps(['/p/x.rpm'], [])[0].argv)
      .toEqual(['dnf', 'install', '-y', '--setopt=install_weak_deps=False', '/p/x.rpm']);
    expect((await installerFor(facts('ID=centos\nID_LIKE="rhel fedora"', ['/usr/bin/yum']))).tool).toBe('yum');
    expect((await installerFor(facts('ID="opensuse-leap"\nID_LIKE="suse opensuse"'))).tool).toBe('zypper');
    const pacman = await installerFor(facts('ID=arch'));
    expect(pacman.installSteps(['/p/a.pkg.tar.zst'], ['b']).map(s => s.argv.slice(0, 2))).toEqual([['pacman', '-U'], ['pacman', '-Sy']]);
    await expect(installerFor(facts('ID=gentoo\nPRETTY_NAME="Gentoo"'))).rejects.toThrow(/no package tool found in Gentoo/);
  });

  it('refuses a package of the wrong format with one line naming both', async () => {
    const apt = await installerFor(facts('ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"'));
    expect(() => checkFormat(apt, parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"'), './x.rpm', 'rpm'))
      .toThrow('./x.rpm is a .rpm package, but Debian GNU/Linux 12 (bookworm) installs .deb packages (apt-get)');
    expect(() => checkFormat(apt, parseOsRelease(''), './x.deb', 'deb')).not.toThrow();
  });
});

describe('units', () => {
  it('adds .service as systemctl does', () => {
    expect(unitName('nginx')).toBe('nginx.service');
    expect(unitName('ssh.socket')).toBe('ssh.socket');
    expect(unitName('getty@tty1')).toBe('getty@tty1.service');
    expect(unitName('my.app')).toBe('my.app.service');
  });

  it('accepts unit names only', () => {
    expect(isValidUnitName('getty@tty1.service')).toBe(true);
    expect(isValidUnitName('--now')).toBe(false);
    expect(isValidUnitName('a b')).toBe(false);
    expect(isValidUnitName('x;rm')).toBe(false);
  });
});

describe('reports', () => {
  const image = (name: string, statuses: ('passed' | 'failed' | 'skipped')[]): ImageReport => ({
    image: name, os: 'Debian <12> & "co"', container: 'postroj-x', kept: false,
    status: statuses.includes('failed') ? 'failed' : 'passed', durationMs: 1500,
    checks: statuses.map((s, i) => ({ name: `check <${i}> & "q"`, kind: 'unit', status: s, durationMs: 250, detail: `detail ${i}`, output: s === 'failed' ? 'journal: <tag> & \u0001bell\nline 2' : undefined })),
  });

  it('counts per check and fails when any image failed', () => {
    const r = summarize([image('a', ['passed', 'failed']), image('b', ['passed', 'skipped'])], new Date());
    expect(r.status).toBe('failed');
    expect(r.summary).toEqual({ images: 2, passed: 2, failed: 1, skipped: 1 });
    expect(summarize([image('a', ['passed'])], new Date()).status).toBe('passed');
  });

  it('writes JUnit XML that parses back to the same results, whatever the text holds', () => {
    const xml = toJunit(summarize([image('debian & <co>', ['passed', 'failed', 'skipped'])], new Date()));
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    expect(doc.testsuites).toMatchObject({ tests: '3', failures: '1', skipped: '1', errors: '0' });
    const suite = doc.testsuites.testsuite;
    expect(suite.name).toBe('debian & <co>');
    expect(suite.properties.property).toContainEqual({ name: 'os', value: 'Debian <12> & "co"' });
    const [ok, failed, skipped] = suite.testcase;
    expect(ok).toMatchObject({ name: 'check <0> & "q"', time: '0.250' });
    expect(ok.failure).toBeUndefined();
    expect(failed.failure).toMatchObject({ message: 'detail 1', type: 'unit' });
    // the control character is replaced, everything else survives
    expect(failed.failure['#text']).toBe('journal: <tag> & \uFFFDbell\nline 2');
    expect(skipped.skipped).toEqual({ message: 'detail 2' });
  });
});

describe('probe container names', () => {
  it('are valid racker names for labels and references, and unique', () => {
    const names = ['debian-bookworm', 'docker://localhost:5000/x/y:tag', 'sha256:' + 'a'.repeat(64), '../..'].map(probeContainerName);
    for (const n of names) expect(n).toMatch(/^postroj-[a-zA-Z0-9][a-zA-Z0-9_.-]{0,54}$/);
    expect(names[0]).toMatch(/^postroj-debian-bookworm-[0-9a-f]{6}$/);
    expect(probeContainerName('x')).not.toBe(probeContainerName('x'));
  });
});
