import { RackerError } from '../errors.js';
import { isValidDigest } from './digest.js';

/** Where an image comes from: a registry, an OCI layout directory, or an archive file. */
export type ImageReference =
  | DockerReference
  | { transport: 'oci'; path: string; tag?: string }
  | { transport: 'oci-archive'; path: string; tag?: string }
  /** `tag` is whatever followed the path: `name:tag` or `@index`, kept as written */
  | { transport: 'docker-archive'; path: string; tag?: string };

export interface DockerReference {
  transport: 'docker';
  /** 'docker.io' for Docker Hub, else host[:port] */
  registry: string;
  /** 'library/busybox', 'o/n' */
  repository: string;
  /** 'latest' when neither a tag nor a digest was given */
  tag?: string;
  /** 'sha256:<64 hex>' or 'sha512:<128 hex>' */
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';

// The grammar of distribution/reference, which docker and podman share.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::(\d{1,5}))?$/;
// the OCI `org.opencontainers.image.ref.name` grammar, without '/' (a '/' means it was part of the path)
const OCI_REF_NAME = /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*$/;
const NAME_MAX = 255;
const HUB_ALIASES = new Set(['index.docker.io', 'registry-1.docker.io']);

const DOCKER_HINT = 'write it as [registry[:port]/]name[:tag][@sha256:<64 hex>], e.g. busybox:1.36 or ghcr.io/owner/app:v1';

function invalid(input: string, why: string, hint = DOCKER_HINT): RackerError {
  // JSON quoting makes control characters and trailing spaces visible
  return new RackerError(`invalid image reference ${JSON.stringify(input)}: ${why}`, { hint });
}

/** host[:port] as a reference may name it: a DNS name, an IPv4 address or a bracketed IPv6 address. */
export function isValidRegistryHost(s: string): boolean {
  const m = HOST.exec(s);
  return m !== null && (m[1] === undefined || Number(m[1]) <= 65535);
}

/** A repository path: lowercase components separated by '/'. */
export function isValidRepository(s: string): boolean {
  return s.split('/').every(c => PATH_COMPONENT.test(c));
}

/** Docker Hub's API does not live at docker.io itself. */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
}

export function parseReference(input: string): ImageReference {
  if (input === '') throw invalid(input, 'the name is empty');
  for (const transport of ['oci-archive', 'docker-archive', 'oci'] as const) {
    if (input.startsWith(`${transport}:`)) return parseLocal(transport, input.slice(transport.length + 1), input);
  }
  let name = input;
  if (name.startsWith('docker://')) {
    name = name.slice('docker://'.length);
    if (name.startsWith('//')) throw invalid(input, "too many '/' after docker://", 'write docker://registry/name[:tag]');
  }
  return parseDockerName(name, input);
}

/** name[:tag][@digest] with an optional registry in front, docker's rules. */
function parseDockerName(s: string, input: string): DockerReference {
  if (s === '') throw invalid(input, 'the name is empty');
  if (/\s/.test(s)) throw invalid(input, 'it contains whitespace');
  if (/[\x00-\x1f\x7f]/.test(s)) throw invalid(input, 'it contains a control character');
  if (s.endsWith(':')) throw invalid(input, "it ends with ':' but has no tag");
  if (s.endsWith('@')) throw invalid(input, "it ends with '@' but has no digest");
  // docker refuses these so that an image ID is never mistaken for a name
  if (/^[a-f0-9]{64}$/.test(s)) throw invalid(input, 'a 64-character hex string is an image ID, not a name', 'use the ID with commands that accept one, or give the image a name');

  let name = s;
  let digest: string | undefined;
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
    if (!isValidDigest(digest)) {
      throw invalid(input, `digest ${JSON.stringify(digest)} is not sha256:<64 lowercase hex> or sha512:<128 lowercase hex>`);
    }
  }
  let tag: string | undefined;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (tag === '') throw invalid(input, "it has an empty tag after ':'");
    if (!TAG.test(tag)) {
      throw invalid(input, `tag ${JSON.stringify(tag)} is invalid`, "a tag is 1-128 letters, digits, '_', '.' or '-', and does not start with '.' or '-'");
    }
  }
  if (name === '') throw invalid(input, 'the repository name is missing');
  if (name.length > NAME_MAX) throw invalid(input, `the repository name is longer than ${NAME_MAX} characters`);

  let registry = DOCKER_HUB;
  let repository = name;
  const slash = name.indexOf('/');
  const first = name.slice(0, slash);
  // docker's rule: only a first component that looks like a host is a registry
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (!isValidRegistryHost(first)) throw invalid(input, `${JSON.stringify(first)} is not a valid registry host[:port]`);
    registry = HUB_ALIASES.has(first) ? DOCKER_HUB : first;
    repository = name.slice(slash + 1);
  }
  checkRepository(repository, input);
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;

  const ref: DockerReference = { transport: 'docker', registry, repository };
  if (tag !== undefined) ref.tag = tag;
  else if (digest === undefined) ref.tag = 'latest';
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

function checkRepository(repository: string, input: string): void {
  if (repository !== repository.toLowerCase()) {
    throw invalid(input, 'repository name must be lowercase', `write the repository as ${JSON.stringify(repository.toLowerCase())}`);
  }
  for (const component of repository.split('/')) {
    if (component === '') throw invalid(input, "the repository path has an empty component (a doubled, leading or trailing '/')");
    if (component === '..' || component === '.') throw invalid(input, `${JSON.stringify(component)} is not allowed as a path component`);
    if (!PATH_COMPONENT.test(component)) {
      throw invalid(input, `path component ${JSON.stringify(component)} is invalid`,
        "a path component is lowercase letters and digits, joined by single '.', '_', '__' or runs of '-'");
    }
  }
}

/** oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:name:tag | :@index] */
function parseLocal(transport: 'oci' | 'oci-archive' | 'docker-archive', rest: string, input: string): ImageReference {
  const hint = transport === 'docker-archive'
    ? 'write docker-archive:FILE, docker-archive:FILE:name:tag or docker-archive:FILE:@N'
    : `write ${transport}:PATH or ${transport}:PATH:TAG`;
  if (rest.includes('\0')) throw invalid(input, 'it contains a NUL byte', hint);
  if (rest === '' || rest.startsWith(':')) throw invalid(input, `${transport}: needs a path`, hint);

  if (transport === 'docker-archive') {
    // containers/image splits at the first ':', since the image name itself holds one
    const colon = rest.indexOf(':');
    if (colon < 0) return { transport, path: rest };
    const tag = rest.slice(colon + 1);
    checkArchiveSelector(tag, input, hint);
    return { transport, path: rest.slice(0, colon), tag };
  }

  // the tag follows the last ':', unless that ':' belongs to a directory name
  const colon = rest.lastIndexOf(':');
  if (colon < 0 || rest.slice(colon + 1).includes('/')) return { transport, path: rest };
  const tag = rest.slice(colon + 1);
  if (tag === '') throw invalid(input, "it ends with ':' but has no tag", hint);
  if (!OCI_REF_NAME.test(tag)) {
    throw invalid(input, `tag ${JSON.stringify(tag)} is invalid`, "an OCI tag is letters and digits joined by single '-', '.', '_', '@', '+' or '--'");
  }
  return { transport, path: rest.slice(0, colon), tag };
}

function checkArchiveSelector(selector: string, input: string, hint: string): void {
  if (selector === '') throw invalid(input, "it ends with ':' but names no image in the archive", hint);
  if (selector.startsWith('@')) {
    if (!/^@\d+$/.test(selector)) throw invalid(input, `${JSON.stringify(selector)} is not an image index (@0, @1, …)`, hint);
    return;
  }
  const ref = parseDockerName(selector, input);
  if (ref.digest) throw invalid(input, 'a docker archive cannot be read by digest', hint);
}

/** docker.io/library/busybox:latest, host:5000/n@sha256:…, r/n:tag@sha256:… */
export function formatDockerReference(ref: DockerReference): string {
  const tag = ref.tag ?? (ref.digest ? undefined : 'latest');
  return `${ref.registry}/${ref.repository}${tag ? `:${tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The short form docker shows in tables: busybox, o/n, ghcr.io/o/n. */
export function familiarName(ref: DockerReference): { repository: string; tag: string } {
  let repository = `${ref.registry}/${ref.repository}`;
  if (ref.registry === DOCKER_HUB) {
    const rest = ref.repository.startsWith('library/') ? ref.repository.slice('library/'.length) : undefined;
    repository = rest !== undefined && !rest.includes('/') ? rest : ref.repository;
  }
  return { repository, tag: ref.tag ?? (ref.digest ? '<none>' : 'latest') };
}
