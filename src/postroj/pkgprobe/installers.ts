import { RackerError } from '../../errors.js';
import type { PackageFormat } from './package-source.js';

/** What /etc/os-release says about a root filesystem. */
export interface OsRelease { id: string; idLike: string[]; prettyName: string }

export function parseOsRelease(text: string): OsRelease {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2].trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1).replace(/\\(["'$`\\])/g, '$1');
    vars[m[1]] = v;
  }
  return { id: vars.ID ?? 'linux', idLike: (vars.ID_LIKE ?? '').split(/\s+/).filter(Boolean), prettyName: vars.PRETTY_NAME ?? vars.NAME ?? vars.ID ?? 'Linux' };
}

/** A command to run inside the container, with its environment. */
export interface Step { argv: string[]; env: [string, string][] }

/**
 * A distribution's package tool, driven non-interactively. Files arrive as
 * absolute paths inside the container; names resolve from its repositories.
 */
export interface PackageInstaller {
  readonly tool: string;
  readonly format: PackageFormat;
  /** the commands that install `files` and `names` together, so dependencies resolve */
  installSteps(files: string[], names: string[]): Step[];
}

/** apt: no prompts, keep existing config files, never ask to restart services. */
export class AptInstaller implements PackageInstaller {
  readonly tool = 'apt-get';
  readonly format = 'deb';
  static readonly ENV: [string, string][] = [
    ['DEBIAN_FRONTEND', 'noninteractive'], ['NEEDRESTART_MODE', 'a'], ['NEEDRESTART_SUSPEND', '1'], ['APT_LISTCHANGES_FRONTEND', 'none'],
  ];

  constructor(private readonly hasLists: boolean) {}

  installSteps(files: string[], names: string[]): Step[] {
    const steps: Step[] = [];
    // apt resolves the dependencies of local files from the repositories too
    if (!this.hasLists) steps.push({ argv: ['apt-get', '-q', 'update'], env: AptInstaller.ENV });
    steps.push({
      argv: ['apt-get', 'install', '-y', '-q', '--no-install-recommends', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', ...files, ...names],
      env: AptInstaller.ENV,
    });
    return steps;
  }
}

export class DnfInstaller implements PackageInstaller {
  readonly format = 'rpm';
  constructor(readonly tool: 'dnf' | 'dnf5' | 'yum' | 'microdnf') {}
  installSteps(files: string[], names: string[]): Step[] {
    return [{ argv: [this.tool, 'install', '-y', ...(this.tool === 'microdnf' ? [] : ['--setopt=install_weak_deps=False']), ...files, ...names], env: [] }];
  }
}

export class ZypperInstaller implements PackageInstaller {
  readonly tool = 'zypper';
  readonly format = 'rpm';
  installSteps(files: string[], names: string[]): Step[] {
    return [{ argv: ['zypper', '--non-interactive', 'install', '--allow-unsigned-rpm', '--no-recommends', ...files, ...names], env: [] }];
  }
}

export class PacmanInstaller implements PackageInstaller {
  readonly tool = 'pacman';
  readonly format = 'pacman';
  installSteps(files: string[], names: string[]): Step[] {
    const steps: Step[] = [];
    if (files.length) steps.push({ argv: ['pacman', '-U', '--noconfirm', '--needed', ...files], env: [] });
    if (names.length) steps.push({ argv: ['pacman', '-Sy', '--noconfirm', '--needed', ...names], env: [] });
    return steps;
  }
}

export class ApkInstaller implements PackageInstaller {
  readonly tool = 'apk';
  readonly format = 'apk';
  installSteps(files: string[], names: string[]): Step[] {
    return [{ argv: ['apk', 'add', '--no-interactive', ...(files.length ? ['--allow-untrusted'] : []), ...files, ...names], env: [] }];
  }
}

/** What the choice of installer may look at in the root filesystem. */
export interface RootfsFacts {
  os: OsRelease;
  /** whether an executable exists at this absolute path */
  has(path: string): Promise<boolean>;
  /** whether apt has package lists already */
  aptListsPresent(): Promise<boolean>;
}

/** Pick the installer of the distribution, by os-release and by which tool is there. */
export async function installerFor(facts: RootfsFacts): Promise<PackageInstaller> {
  const family = [facts.os.id, ...facts.os.idLike];
  const is = (...ids: string[]) => family.some(f => ids.includes(f));
  if (is('debian', 'ubuntu') || await facts.has('/usr/bin/apt-get')) return new AptInstaller(await facts.aptListsPresent());
  if (is('suse', 'opensuse', 'sles') || facts.os.id.startsWith('opensuse') || await facts.has('/usr/bin/zypper')) return new ZypperInstaller();
  if (is('arch') || await facts.has('/usr/bin/pacman')) return new PacmanInstaller();
  if (is('alpine') || await facts.has('/sbin/apk')) return new ApkInstaller();
  for (const tool of ['dnf', 'dnf5', 'yum', 'microdnf'] as const) {
    if (await facts.has(`/usr/bin/${tool}`)) return new DnfInstaller(tool);
  }
  throw new RackerError(`no package tool found in ${facts.os.prettyName}`, { hint: 'postroj installs with apt-get, dnf/yum, zypper, pacman or apk' });
}

/** A package of another format than the distribution's: one clear line, before anything is installed. */
export function checkFormat(installer: PackageInstaller, os: OsRelease, spec: string, format: PackageFormat): void {
  if (format !== installer.format) {
    throw new RackerError(`${spec} is a .${format} package, but ${os.prettyName} installs .${installer.format} packages (${installer.tool})`,
      { hint: `give a .${installer.format} package for this image, or probe it on a matching image` });
  }
}
