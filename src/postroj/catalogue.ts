import { RackerError } from '../errors.js';
/** Curated OS images: a label users type, and where its root filesystem comes from. */
export interface CuratedImage {
  label: string;
  distribution: string;
  version: string;
  /** the vendor's OCI image */
  registry: string;
  /** how to build it from the distribution's package mirror instead (Debian and Ubuntu) */
  mirror?: { suite: string; url: string; keyring?: string; keyringPackage?: string; components?: string[] };
  /** the name the image gets in the store */
  storeName: string;
}

const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
const DEBIAN_ARCHIVE = 'http://archive.debian.org/debian';
const UBUNTU_MIRROR = 'http://archive.ubuntu.com/ubuntu';

function entry(label: string, distribution: string, version: string, registry: string, mirror?: CuratedImage['mirror']): CuratedImage {
  return { label, distribution, version, registry, mirror, storeName: `postroj/${label}:latest` };
}

const debian = (codename: string, version: string, archived = false) =>
  entry(`debian-${codename}`, 'debian', version, `docker.io/library/debian:${codename}`,
    // releases moved to the archive are signed by keys Debian 12 keeps in its "removed" keyring
    { suite: codename, url: archived ? DEBIAN_ARCHIVE : DEBIAN_MIRROR,
      keyring: `/usr/share/keyrings/debian-archive-${archived ? 'removed-keys' : 'keyring'}.gpg`, keyringPackage: 'debian-archive-keyring' });

const ubuntu = (codename: string, version: string) =>
  entry(`ubuntu-${codename}`, 'ubuntu', version, `docker.io/library/ubuntu:${codename}`,
    { suite: codename, url: UBUNTU_MIRROR, keyring: '/usr/share/keyrings/ubuntu-archive-keyring.gpg', keyringPackage: 'ubuntu-keyring', components: ['main', 'universe'] });

export const CATALOGUE: readonly CuratedImage[] = [
  debian('stretch', '9', true),
  debian('buster', '10', true),
  debian('bullseye', '11'),
  debian('bookworm', '12'),
  debian('trixie', '13'),
  debian('sid', 'unstable'),
  ubuntu('jammy', '22.04'),
  ubuntu('noble', '24.04'),
  entry('fedora-40', 'fedora', '40', 'registry.fedoraproject.org/fedora:40'),
  entry('fedora-41', 'fedora', '41', 'registry.fedoraproject.org/fedora:41'),
  entry('centos-stream-9', 'centos', 'stream9', 'quay.io/centos/centos:stream9'),
  entry('centos-stream-10', 'centos', 'stream10', 'quay.io/centos/centos:stream10'),
  entry('rockylinux-9', 'rocky', '9', 'docker.io/rockylinux/rockylinux:9'),
  entry('almalinux-9', 'almalinux', '9', 'docker.io/library/almalinux:9'),
  entry('oraclelinux-9', 'oraclelinux', '9', 'docker.io/library/oraclelinux:9'),
  entry('opensuse-leap', 'opensuse-leap', '15.6', 'registry.opensuse.org/opensuse/leap:15.6'),
  entry('opensuse-tumbleweed', 'opensuse-tumbleweed', 'rolling', 'registry.opensuse.org/opensuse/tumbleweed:latest'),
  entry('archlinux', 'arch', 'rolling', 'docker.io/library/archlinux:latest'),
  entry('amazonlinux-2023', 'amzn', '2023', 'docker.io/library/amazonlinux:2023'),
];

export function findCurated(label: string): CuratedImage | undefined {
  return CATALOGUE.find(c => c.label === label);
}

/** Each keyring the catalogue's mirror builds use, with the labels built with it (racker doctor checks them). */
export function catalogueKeyrings(): { keyring: string; labels: string[] }[] {
  const byKeyring = new Map<string, string[]>();
  for (const c of CATALOGUE) {
    if (c.mirror?.keyring) byKeyring.set(c.mirror.keyring, [...byKeyring.get(c.mirror.keyring) ?? [], c.label]);
  }
  return [...byKeyring].map(([keyring, labels]) => ({ keyring, labels }));
}

/** `postroj pull LABEL…` / `--all`: the curated images meant, or a clear refusal. */
export function resolveLabels(labels: string[], all: boolean): CuratedImage[] {
  if (all) return [...CATALOGUE];
  if (labels.length === 0) throw new RackerError('no image label given', { hint: 'postroj list-images shows the labels; or use --all' });
  return labels.map(l => {
    const c = findCurated(l);
    if (!c) throw new RackerError(`unknown image label '${l}'`, { hint: 'postroj list-images shows the labels' });
    return c;
  });
}
