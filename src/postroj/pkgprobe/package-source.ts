import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { RackerError } from '../../errors.js';

/** The package formats postroj can install, each with the tool family that installs it. */
export type PackageFormat = 'deb' | 'rpm' | 'pacman' | 'apk';

/** One `--package` argument: a URL to download, a file on the host, or a name from the repositories. */
export type PackageSource =
  | { kind: 'url'; spec: string; url: URL; format: PackageFormat }
  | { kind: 'file'; spec: string; path: string; format: PackageFormat }
  | { kind: 'name'; spec: string; name: string };

/** Package names as apt, dnf, zypper and pacman accept them (with optional version/arch qualifiers). */
const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9+._:~=@-]*$/;

export function formatFromName(file: string): PackageFormat | undefined {
  const base = file.toLowerCase();
  if (base.endsWith('.deb')) return 'deb';
  if (base.endsWith('.rpm')) return 'rpm';
  if (/\.pkg\.tar(\.(zst|xz|gz|bz2))?$/.test(base)) return 'pacman';
  if (base.endsWith('.apk')) return 'apk';
  return undefined;
}

/** Parse a `--package` value; checks only its form (files and URLs are checked when fetched). */
export function parsePackageSpec(spec: string): PackageSource {
  if (!spec || spec.includes('\0') || /[\r\n]/.test(spec)) throw new RackerError(`invalid --package '${spec.slice(0, 80)}'`, { hint: 'give a URL, a path to a .deb/.rpm file, or a package name' });
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    let url: URL;
    try { url = new URL(spec); } catch { throw new RackerError(`invalid package URL '${spec}'`); }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RackerError(`unsupported package URL scheme '${url.protocol}' in ${spec}`, { hint: 'use http(s):// URLs, or download the file and give its path' });
    const format = formatFromName(decodeURIComponent(url.pathname));
    if (!format) throw new RackerError(`cannot tell the package type of ${spec}`, { hint: 'the URL must end in .deb, .rpm, .pkg.tar.zst or .apk' });
    return { kind: 'url', spec, url, format };
  }
  if (spec.includes('/') || formatFromName(spec)) {
    const format = formatFromName(spec);
    if (!format) throw new RackerError(`cannot tell the package type of ${spec}`, { hint: 'package files end in .deb, .rpm, .pkg.tar.zst or .apk' });
    return { kind: 'file', spec, path: path.resolve(spec), format };
  }
  if (!PACKAGE_NAME.test(spec)) throw new RackerError(`invalid package name '${spec.slice(0, 80)}'`, { hint: 'give a URL, a path to a package file (./name.deb), or a package name' });
  return { kind: 'name', spec, name: spec };
}

/** Check that a file on the host is a package of the format its name says. */
export async function verifyPackageFile(file: string, format: PackageFormat): Promise<void> {
  const st = await stat(file).catch(() => undefined);
  if (!st) throw new RackerError(`package file ${file} does not exist`, { hint: 'check the path; relative paths are taken from the current directory' });
  if (!st.isFile()) throw new RackerError(`package ${file} is not a regular file`);
  const head = Buffer.alloc(8);
  const fh = await open(file, 'r');
  try { await fh.read(head, 0, 8, 0); } finally { await fh.close(); }
  const looksLike: Record<PackageFormat, boolean> = {
    deb: head.toString('latin1') === '!<arch>\n',
    rpm: head.readUInt32BE(0) === 0xedabeedb,
    // zstd, xz, gzip or bzip2 compressed tar (or a plain tar, which has no magic at 0)
    pacman: true,
    apk: head[0] === 0x1f && head[1] === 0x8b,
  };
  if (!looksLike[format]) throw new RackerError(`${file} is not a .${format} package (its content does not match its name)`, { hint: 'the download may have been an error page, or the file is damaged' });
}
