import { describe, expect, it } from 'vitest';
import { AptInstaller, checkFormat, installerFor, parseOsRelease, type RootfsFacts } from '../../../../src/postroj/pkgprobe/installers.js';

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
