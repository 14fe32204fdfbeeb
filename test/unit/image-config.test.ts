import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseImageConfig, parseManifestDocument } from '../../src/image/oci-layout-fetcher.js';
import { ImageStore, type ImageRecord } from '../../src/store/image-store.js';
import { RackerError } from '../../src/errors.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const rootfs = { type: 'layers', diff_ids: [DIGEST] };

function config(fields: Record<string, unknown>, top: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: fields, rootfs, ...top }));
}

function failure(fn: () => unknown): RackerError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RackerError);
    return err as RackerError;
  }
  throw new Error('expected a RackerError');
}

describe('parseImageConfig', () => {
  it('accepts a full config, and absent or null fields', () => {
    const full = {
      User: 'nobody', Env: ['A=1'], Entrypoint: ['/bin/sh'], Cmd: ['-c', 'true'], WorkingDir: '/w', Labels: { a: 'b' },
      StopSignal: 'SIGTERM', ExposedPorts: { '80/tcp': {} }, Volumes: { '/data': {} }, Healthcheck: { Test: ['CMD', 'true'] },
    };
    expect(parseImageConfig(config(full), 'test').config).toEqual(full);
    const nulls = Object.fromEntries(Object.keys(full).map(k => [k, null]));
    expect(parseImageConfig(config(nulls), 'test').config).toEqual(nulls);
    expect(parseImageConfig(config({}, { config: null }), 'test').config).toBeNull();
    expect(parseImageConfig(Buffer.from(JSON.stringify({ rootfs })), 'test').rootfs).toEqual(rootfs);
  });

  const wrong: [string, Record<string, unknown>, RegExp][] = [
    ['Env as a string', { Env: 'PATH=/bin' }, /config\.Env is a string, not a list of strings/],
    ['Cmd as an object', { Cmd: { sh: 1 } }, /config\.Cmd is an object, not a list of strings/],
    ['Entrypoint as a string', { Entrypoint: '/bin/sh' }, /config\.Entrypoint is a string, not a list of strings/],
    ['Entrypoint with a number in it', { Entrypoint: ['/bin/sh', 1] }, /config\.Entrypoint is a list with non-strings in it/],
    ['WorkingDir as a list', { WorkingDir: ['/'] }, /config\.WorkingDir is a list, not a string/],
    ['User as a number', { User: 0 }, /config\.User is a number, not a string/],
    ['Labels with a number', { Labels: { a: 1 } }, /config\.Labels is an object, not an object of strings/],
    ['Labels as a list', { Labels: ['a'] }, /config\.Labels is a list, not an object of strings/],
    ['ExposedPorts as a list', { ExposedPorts: ['80/tcp'] }, /config\.ExposedPorts is a list, not an object/],
    ['Volumes as a string', { Volumes: '/data' }, /config\.Volumes is a string, not an object/],
    ['StopSignal as a number', { StopSignal: 15 }, /config\.StopSignal is a number, not a string/],
    ['Healthcheck as a string', { Healthcheck: 'true' }, /config\.Healthcheck is a string, not an object/],
  ];
  for (const [what, fields, message] of wrong) {
    it(`refuses ${what}, naming the field`, () => {
      const err = failure(() => parseImageConfig(config(fields), 'docker://x/y'));
      expect(err.message).toMatch(/^the image config from docker:\/\/x\/y is malformed: /);
      expect(err.message).toMatch(message);
      expect(err.exitCode).toBe(125);
    });
  }

  it('refuses a config, rootfs or diff_ids of the wrong type', () => {
    expect(failure(() => parseImageConfig(config({}, { config: 'x' }), 't')).message).toMatch(/config is a string, not an object/);
    expect(failure(() => parseImageConfig(config({}, { rootfs: [] }), 't')).message).toMatch(/rootfs is a list, not an object/);
    expect(failure(() => parseImageConfig(config({}, { rootfs: { diff_ids: 'x' } }), 't')).message).toMatch(/rootfs\.diff_ids is a string/);
    expect(failure(() => parseImageConfig(config({}, { os: 7 }), 't')).message).toMatch(/os is a number, not a string/);
  });
});

describe('parseManifestDocument field types', () => {
  const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: DIGEST, size: 1 };
  const manifest = (extra: Record<string, unknown>, layerExtra: Record<string, unknown> = {}) => Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: DIGEST, size: 1 }, layers: [{ ...layer, ...layerExtra }], ...extra,
  }));

  it('accepts null annotations and urls', () => {
    const doc = parseManifestDocument(manifest({ annotations: null }, { urls: null, annotations: null }), 't');
    expect(doc.kind).toBe('manifest');
  });

  it('refuses a mediaType that is not a string, and descriptors with fields of the wrong type', () => {
    expect(failure(() => parseManifestDocument(manifest({ mediaType: 5 }), 't')).message).toMatch(/mediaType that is not a string/);
    expect(failure(() => parseManifestDocument(manifest({}, { mediaType: ['x'] }), 't')).message).toMatch(/has no media type/);
    expect(failure(() => parseManifestDocument(manifest({}, { urls: 'http://x' }), 't')).message).toMatch(/urls that are not a list of strings/);
    expect(failure(() => parseManifestDocument(manifest({}, { annotations: { a: 1 } }), 't')).message).toMatch(/annotations that are not an object of strings/);
    expect(failure(() => parseManifestDocument(manifest({ annotations: 'x' }), 't')).message).toMatch(/annotations that are not an object of strings/);
    expect(failure(() => parseManifestDocument(manifest({ layers: 'x' }), 't')).message).toMatch(/no layers list/);
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ ...layer, mediaType: 'application/vnd.oci.image.manifest.v1+json', platform: { os: 'linux', architecture: 'arm', variant: 7 } }],
    }));
    expect(failure(() => parseManifestDocument(index, 't')).message).toMatch(/malformed platform/);
  });
});

describe('an image stored before configs were checked', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'racker-unit-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('gets the error on read, naming the field; listing and removing still work', async () => {
    const store = new ImageStore(dir);
    await store.layout.ensure();
    const id = `sha256:${'b'.repeat(64)}`;
    const rec = {
      id, manifestDigest: DIGEST, repoDigests: [], layers: [], diffIds: [], size: 0, pulledAt: '2026-01-01T00:00:00Z', source: 'test',
      config: { rootfs: { type: 'layers', diff_ids: [] }, config: { Env: 'PATH=/bin' } },
    } as unknown as ImageRecord;
    await store.writeImage(rec);
    await store.tag(['example/broken:latest'], id);

    for (const read of [() => store.readImage(id), () => store.find('example/broken:latest'), () => store.find('bbbb')]) {
      const err = await read().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(RackerError);
      expect((err as RackerError).message).toMatch(/config of image bbbbbbbbbbbb is malformed: config\.Env is a string, not a list of strings/);
      expect((err as RackerError).hint).toMatch(/racker rmi bbbbbbbbbbbb/);
      expect((err as RackerError).exitCode).toBe(125);
    }
    expect((await store.listImages()).map(r => r.id)).toEqual([id]);
    expect((await store.find('example/broken:latest', undefined, { check: false }))?.id).toBe(id);
    await store.removeImage(id);
    expect(await store.listImages()).toEqual([]);
  });
});
