import { describe, it, expect } from 'vitest';
import {
  DOCKER_HUB, familiarName, formatDockerReference, parseReference, registryApiHost,
  type DockerReference,
} from '../../../src/image/reference.js';
import { RackerError } from '../../../src/errors.js';

const D256 = `sha256:${'a1'.repeat(32)}`;
const D512 = `sha512:${'b2'.repeat(64)}`;

function docker(input: string): DockerReference {
  const ref = parseReference(input);
  if (ref.transport !== 'docker') throw new Error(`expected a docker reference, got ${ref.transport}`);
  return ref;
}

function rejection(input: string): RackerError {
  try {
    parseReference(input);
  } catch (err) {
    expect(err).toBeInstanceOf(RackerError);
    const e = err as RackerError;
    expect(e.exitCode).toBe(125);
    expect(e.hint).toBeTruthy();
    expect(e.message).not.toContain('\n');
    return e;
  }
  throw new Error(`${JSON.stringify(input)} was accepted`);
}

describe('parseReference: docker names', () => {
  it.each<[string, Omit<DockerReference, 'transport'>]>([
    ['busybox', { registry: 'docker.io', repository: 'library/busybox', tag: 'latest' }],
    ['busybox:1.36', { registry: 'docker.io', repository: 'library/busybox', tag: '1.36' }],
    ['user/app', { registry: 'docker.io', repository: 'user/app', tag: 'latest' }],
    ['docker.io/busybox', { registry: 'docker.io', repository: 'library/busybox', tag: 'latest' }],
    ['index.docker.io/busybox', { registry: 'docker.io', repository: 'library/busybox', tag: 'latest' }],
    ['registry-1.docker.io/o/n:t', { registry: 'docker.io', repository: 'o/n', tag: 't' }],
    ['ghcr.io/o/n:tag', { registry: 'ghcr.io', repository: 'o/n', tag: 'tag' }],
    ['localhost/x', { registry: 'localhost', repository: 'x', tag: 'latest' }],
    ['localhost:5000/x', { registry: 'localhost:5000', repository: 'x', tag: 'latest' }],
    [`127.0.0.1:5000/x@${D256}`, { registry: '127.0.0.1:5000', repository: 'x', digest: D256 }],
    ['[::1]:5000/x', { registry: '[::1]:5000', repository: 'x', tag: 'latest' }],
    ['[::1]/x:v2', { registry: '[::1]', repository: 'x', tag: 'v2' }],
    [`r.io/n:tag@${D256}`, { registry: 'r.io', repository: 'n', tag: 'tag', digest: D256 }],
    [`busybox@${D512}`, { registry: 'docker.io', repository: 'library/busybox', digest: D512 }],
    ['a.b/c/d/e-f/g__h/i.j/k_l:V_1.2-x', { registry: 'a.b', repository: 'c/d/e-f/g__h/i.j/k_l', tag: 'V_1.2-x' }],
    ['Host.Example.COM/x', { registry: 'Host.Example.COM', repository: 'x', tag: 'latest' }],
    ['a---b/c', { registry: 'docker.io', repository: 'a---b/c', tag: 'latest' }],
    // no '.', ':' or localhost: a namespace, not a registry
    ['myregistry/app', { registry: 'docker.io', repository: 'myregistry/app', tag: 'latest' }],
    // name:tag, not a transport
    ['foo:bar', { registry: 'docker.io', repository: 'library/foo', tag: 'bar' }],
    ['docker:busybox', { registry: 'docker.io', repository: 'library/docker', tag: 'busybox' }],
    ['localhost:5000', { registry: 'docker.io', repository: 'library/localhost', tag: '5000' }],
  ])('%s', (input, expected) => {
    expect(parseReference(input)).toEqual({ transport: 'docker', ...expected });
  });

  it('treats docker:// as no prefix', () => {
    expect(parseReference('docker://busybox')).toEqual(parseReference('busybox'));
    expect(parseReference('docker://ghcr.io/o/n:t')).toEqual(parseReference('ghcr.io/o/n:t'));
  });

  it('gives no default tag when a digest is given', () => {
    expect(docker(`busybox@${D256}`).tag).toBeUndefined();
    expect(docker('busybox').digest).toBeUndefined();
  });

  it('accepts a tag of 128 characters and a name of 255', () => {
    expect(docker(`x:${'t'.repeat(128)}`).tag).toHaveLength(128);
    const name = `r.io/${'a'.repeat(250)}`;
    expect(name).toHaveLength(255);
    expect(docker(name).repository).toHaveLength(250);
  });
});

describe('parseReference: rejections', () => {
  it.each<[string, RegExp]>([
    ['', /empty/],
    ['Busybox', /repository name must be lowercase/],
    ['ghcr.io/Owner/app', /repository name must be lowercase/],
    ['busybox:', /ends with ':' but has no tag/],
    ['busybox@', /ends with '@' but has no digest/],
    ['a/../b', /"\.\." is not allowed as a path component/],
    ['../b', /"\.\." is not a valid registry host/],
    ['docker:////x', /too many '\/' after docker:\/\//],
    ['docker:///x', /empty component/],
    ['busy box', /whitespace/],
    [' busybox', /whitespace/],
    ['busybox\n', /whitespace/],
    ['busy\x00box', /control character/],
    ['busy\x07box', /control character/],
    ['a//b', /empty component/],
    ['a/b/', /empty component/],
    ['/a', /empty component/],
    ['ghcr.io/', /empty component/],
    ['-a', /path component "-a" is invalid/],
    ['a_', /path component "a_" is invalid/],
    ['a___b', /path component "a___b" is invalid/],
    ['a..b', /path component "a..b" is invalid/],
    ['a$b', /path component "a\$b" is invalid/],
    [':tag', /repository name is missing/],
    [`@${D256}`, /repository name is missing/],
    ['busybox:.x', /tag ".x" is invalid/],
    ['busybox:-x', /tag "-x" is invalid/],
    [`busybox:${'t'.repeat(129)}`, /tag "t+" is invalid/],
    ['busybox:a:b', /path component "busybox:a" is invalid/],
    ['busybox:@sha256:x', /digest "sha256:x"/],
    [`busybox:@${D256}`, /empty tag/],
    ['busybox@sha256:abc', /digest "sha256:abc" is not sha256:<64 lowercase hex>/],
    [`busybox@sha256:${'A'.repeat(64)}`, /digest/],
    [`busybox@md5:${'a'.repeat(32)}`, /digest/],
    [`busybox@${D256}@${D256}`, /digest/],
    [`r.io/${'a'.repeat(251)}`, /longer than 255/],
    ['a'.repeat(256), /longer than 255/],
    ['a'.repeat(64), /image ID/],
    ['ho_st.io/x', /"ho_st.io" is not a valid registry host/],
    ['-host.io/x', /not a valid registry host/],
    ['host.io:99999/x', /not a valid registry host/],
    ['host.io:/x', /not a valid registry host/],
  ])('%j', (input, why) => {
    const e = rejection(input);
    expect(e.message).toMatch(/^invalid image reference /);
    expect(e.message).toMatch(why);
  });

  it('quotes the input so control characters stay visible', () => {
    expect(rejection('busy\tbox').message).toContain('"busy\\tbox"');
  });

  it('suggests the lowercase name', () => {
    expect(rejection('Busybox').hint).toContain('"busybox"');
    expect(rejection('ghcr.io/Owner/App:Tag').hint).toContain('"owner/app"');
  });
});

describe('parseReference: local transports', () => {
  it.each<[string, unknown]>([
    ['oci:/tmp/x:v1', { transport: 'oci', path: '/tmp/x', tag: 'v1' }],
    ['oci:/tmp/x', { transport: 'oci', path: '/tmp/x' }],
    ['oci:rel/dir', { transport: 'oci', path: 'rel/dir' }],
    ['oci:/tmp/a:b/c', { transport: 'oci', path: '/tmp/a:b/c' }],
    ['oci:/tmp/a:b/c:1.0', { transport: 'oci', path: '/tmp/a:b/c', tag: '1.0' }],
    ['oci:/tmp/with space', { transport: 'oci', path: '/tmp/with space' }],
    ['oci:latest', { transport: 'oci', path: 'latest' }],
    ['oci-archive:/tmp/i.tar', { transport: 'oci-archive', path: '/tmp/i.tar' }],
    ['oci-archive:/tmp/i.tar:my-tag', { transport: 'oci-archive', path: '/tmp/i.tar', tag: 'my-tag' }],
    ['docker-archive:/tmp/i.tar', { transport: 'docker-archive', path: '/tmp/i.tar' }],
    ['docker-archive:/tmp/i.tar:busybox:1.36', { transport: 'docker-archive', path: '/tmp/i.tar', tag: 'busybox:1.36' }],
    ['docker-archive:/tmp/i.tar:ghcr.io/o/n:t', { transport: 'docker-archive', path: '/tmp/i.tar', tag: 'ghcr.io/o/n:t' }],
    ['docker-archive:/tmp/i.tar:@1', { transport: 'docker-archive', path: '/tmp/i.tar', tag: '@1' }],
  ])('%s', (input, expected) => {
    expect(parseReference(input)).toEqual(expected);
  });

  it.each<[string, RegExp]>([
    ['oci:', /oci: needs a path/],
    ['oci::v1', /oci: needs a path/],
    ['oci-archive:', /oci-archive: needs a path/],
    ['docker-archive:', /docker-archive: needs a path/],
    ['oci:/tmp/x:', /ends with ':' but has no tag/],
    ['oci:/tmp/x:bad tag', /tag "bad tag" is invalid/],
    ['oci:/tmp/x:-v', /tag "-v" is invalid/],
    ['oci:/tmp/\0x', /NUL byte/],
    ['docker-archive:/tmp/\0x', /NUL byte/],
    ['docker-archive:/tmp/i.tar:', /names no image/],
    ['docker-archive:/tmp/i.tar:@x', /"@x" is not an image index/],
    ['docker-archive:/tmp/i.tar:Busybox', /repository name must be lowercase/],
    [`docker-archive:/tmp/i.tar:busybox@${D256}`, /cannot be read by digest/],
  ])('rejects %j', (input, why) => {
    expect(rejection(input).message).toMatch(why);
  });
});

describe('formatDockerReference', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['user/app:1', 'docker.io/user/app:1'],
    [`localhost:5000/n@${D256}`, `localhost:5000/n@${D256}`],
    [`r.io/n:tag@${D256}`, `r.io/n:tag@${D256}`],
    ['[::1]:5000/a/b:c', '[::1]:5000/a/b:c'],
  ])('%s → %s', (input, canonical) => {
    expect(formatDockerReference(docker(input))).toBe(canonical);
    // the canonical form parses back to the same reference
    expect(docker(canonical)).toEqual(docker(input));
  });

  it('adds latest when a hand-built reference has neither tag nor digest', () => {
    expect(formatDockerReference({ transport: 'docker', registry: 'r.io', repository: 'n' })).toBe('r.io/n:latest');
  });
});

describe('familiarName', () => {
  it.each([
    ['busybox', 'busybox', 'latest'],
    ['busybox:1.36', 'busybox', '1.36'],
    ['docker.io/o/n:t', 'o/n', 't'],
    ['docker.io/library/a/b', 'library/a/b', 'latest'],
    ['ghcr.io/o/n:tag', 'ghcr.io/o/n', 'tag'],
    ['localhost:5000/x', 'localhost:5000/x', 'latest'],
    [`busybox@${D256}`, 'busybox', '<none>'],
    [`busybox:1@${D256}`, 'busybox', '1'],
  ])('%s → %s %s', (input, repository, tag) => {
    expect(familiarName(docker(input))).toEqual({ repository, tag });
  });
});

describe('registryApiHost', () => {
  it('sends Docker Hub to its API host and leaves others alone', () => {
    expect(DOCKER_HUB).toBe('docker.io');
    expect(registryApiHost('docker.io')).toBe('registry-1.docker.io');
    expect(registryApiHost('ghcr.io')).toBe('ghcr.io');
    expect(registryApiHost('localhost:5000')).toBe('localhost:5000');
  });
});
