import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RackerError } from '../../../src/errors.js';
import { nameFilter, splitName, storedNameCandidates } from '../../../src/engine/images.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('storedNameCandidates', () => {
  it('a docker name without a tag: the canonical name, then the name as given, with and without :latest, each once', () => {
    expect(storedNameCandidates('busybox')).toEqual(['docker.io/library/busybox:latest', 'busybox', 'busybox:latest']);
    expect(storedNameCandidates('localhost:5000/x/y')).toEqual(['localhost:5000/x/y:latest', 'localhost:5000/x/y']);
  });

  it('a tag or a digest: the canonical name and the input only', () => {
    expect(storedNameCandidates('busybox:1.36')).toEqual(['docker.io/library/busybox:1.36', 'busybox:1.36']);
    expect(storedNameCandidates(`busybox@${DIGEST}`)).toEqual([`docker.io/library/busybox@${DIGEST}`, `busybox@${DIGEST}`]);
    expect(storedNameCandidates('docker.io/library/busybox:latest')).toEqual(['docker.io/library/busybox:latest']);
  });

  it('local transports by their absolute path', () => {
    expect(storedNameCandidates('oci:./layout:v1')).toEqual([`oci:${path.resolve('layout')}:v1`, 'oci:./layout:v1']);
  });

  it('what is not a reference is still tried as an id', () => {
    expect(storedNameCandidates('Not A Name')).toEqual(['Not A Name']);
    expect(storedNameCandidates(DIGEST)).toContain(DIGEST);
  });
});

describe('splitName', () => {
  it("docker names as docker's REPOSITORY and TAG columns", () => {
    expect(splitName('docker.io/library/busybox:latest')).toEqual({ repository: 'busybox', tag: 'latest' });
    expect(splitName('docker.io/someone/app:2')).toEqual({ repository: 'someone/app', tag: '2' });
    expect(splitName('localhost:5000/x/y:v1')).toEqual({ repository: 'localhost:5000/x/y', tag: 'v1' });
  });

  it('other names split at their last colon after the transport, or shown whole', () => {
    expect(splitName('oci:/srv/layout:v1')).toEqual({ repository: 'oci:/srv/layout', tag: 'v1' });
    expect(splitName('oci:/srv/layout')).toEqual({ repository: 'oci:/srv/layout', tag: '<none>' });
    expect(splitName('Weird Name')).toEqual({ repository: 'Weird Name', tag: '<none>' });
  });
});

describe('nameFilter', () => {
  const stored = [
    'docker.io/library/busybox:latest', 'docker.io/library/busybox:1.36', 'docker.io/library/alpine:latest',
    'docker.io/other/busybox:latest', 'localhost:5000/busybox:latest', 'localhost:5000/library/busybox:latest', 'oci:/srv/layout:v1', 'not a name',
  ];
  const shown = (input: string) => stored.filter(nameFilter(input));

  it('a repository without a tag matches every tag of it, and only of it', () => {
    expect(shown('busybox')).toEqual(['docker.io/library/busybox:latest', 'docker.io/library/busybox:1.36']);
    expect(shown('docker.io/library/busybox')).toEqual(shown('busybox'));
    expect(shown('localhost:5000/busybox')).toEqual(['localhost:5000/busybox:latest']);
    // the same repository on another registry is another image
    expect(shown('localhost:5000/library/busybox')).toEqual(['localhost:5000/library/busybox:latest']);
    expect(shown('nothing')).toEqual([]);
  });

  it('with a tag, that tag only', () => {
    expect(shown('busybox:1.36')).toEqual(['docker.io/library/busybox:1.36']);
    expect(shown('busybox:latest')).toEqual(['docker.io/library/busybox:latest']);
  });

  it('local transports and digests match exactly', () => {
    expect(shown('oci:/srv/layout:v1')).toEqual(['oci:/srv/layout:v1']);
    expect(shown('oci:/srv/layout')).toEqual([]);
    expect([`docker.io/library/busybox@${DIGEST}`, 'docker.io/library/busybox:latest'].filter(nameFilter(`busybox@${DIGEST}`)))
      .toEqual([`docker.io/library/busybox@${DIGEST}`]);
  });

  it('refuses what is not a reference with 125', () => {
    let err: unknown;
    try { nameFilter('Not A Name'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(RackerError);
    expect((err as RackerError).exitCode).toBe(125);
  });
});
