import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile, mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RackerError } from '../../../src/errors.js';
import { ImageStore } from '../../../src/store/image-store.js';
import type { ImageRecord } from '../../../src/model/image.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'racker-unit-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const hex = (c: string) => c.repeat(64);

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('image store', () => {
  const rec = (c: string, layers: string[]): ImageRecord => ({
    id: `sha256:${hex(c)}`, manifestDigest: `sha256:${hex('f')}`, repoDigests: [], layers, diffIds: layers,
    config: { rootfs: { type: 'layers', diff_ids: layers } }, size: 1, pulledAt: '2026-01-01T00:00:00Z', source: 'test',
  });

  it('tags, finds by name, id and prefix, and untags', async () => {
    const s = new ImageStore(dir);
    await s.layout.ensure();
    await s.writeImage(rec('1', []));
    await s.writeImage(rec('2', []));
    await s.tag(['docker.io/library/a:latest'], `sha256:${hex('1')}`);
    expect((await s.find('a', 'docker.io/library/a:latest'))?.id).toBe(`sha256:${hex('1')}`);
    expect((await s.find(hex('2').slice(0, 6)))?.id).toBe(`sha256:${hex('2')}`);
    expect(await s.find('nothing')).toBeUndefined();
    await s.untag(['docker.io/library/a:latest']);
    expect(await s.readTags()).toEqual({});
  });

  it('removing an image deletes only layers nothing else uses', async () => {
    const s = new ImageStore(dir);
    await s.layout.ensure();
    const [la, lb, lc] = ['a', 'b', 'c'].map(c => `sha256:${hex(c)}`);
    for (const l of [la, lb, lc]) {
      await mkdir(path.join(s.layout.layerDir(l), 'fs'), { recursive: true });
      await writeFile(path.join(s.layout.layerDir(l), 'layer.json'), '{}');
    }
    await s.writeImage(rec('1', [la, lb]));
    await s.writeImage(rec('2', [la]));
    const removed = await s.removeImage(`sha256:${hex('1')}`, new Set([lc]));
    expect(removed).toEqual([lb]);
    expect((await readdir(s.layout.layersDir)).sort()).toEqual([hex('a'), hex('c')]);
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
