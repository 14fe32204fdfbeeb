import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RackerError } from '../../../src/errors.js';
import { StoreLayout } from '../../../src/store/layout.js';
import { VolumeStore } from '../../../src/store/volume-store.js';
import { ANONYMOUS_LABEL } from '../../../src/model/volume.js';

let dir: string;
let layout: StoreLayout;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'racker-unit-volumes-'));
  layout = new StoreLayout(dir);
});
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('VolumeStore', () => {
  it('creates <root>/volumes/<name>/_data and volume.json, with nothing left in tmp/', async () => {
    const store = new VolumeStore(layout);
    const { volume, created } = await store.create({ name: 'data', labels: { app: 'web' } });
    expect(created).toBe(true);
    expect(volume).toMatchObject({ Name: 'data', Driver: 'local', Mountpoint: path.join(dir, 'volumes', 'data', '_data'), Labels: { app: 'web' }, Options: {}, Anonymous: false });
    expect(volume.CreatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect((await stat(volume.Mountpoint)).isDirectory()).toBe(true);
    expect(JSON.parse(await readFile(path.join(dir, 'volumes', 'data', 'volume.json'), 'utf8'))).toEqual(volume);
    expect(await readdir(layout.tmpDir)).toEqual([]);
  });

  it('create of an existing name returns it unchanged (docker is idempotent), also when many race', async () => {
    const store = new VolumeStore(layout);
    const first = await store.create({ name: 'shared', labels: { a: '1' } });
    await writeFile(path.join(first.volume.Mountpoint, 'kept'), 'x');
    const again = await store.create({ name: 'shared', labels: { b: '2' } });
    expect(again).toEqual({ volume: first.volume, created: false });
    expect(await readFile(path.join(first.volume.Mountpoint, 'kept'), 'utf8')).toBe('x');
    const raced = await Promise.all(Array.from({ length: 6 }, () => store.create({ name: 'raced' })));
    expect(raced.filter(r => r.created)).toHaveLength(1);
    expect(new Set(raced.map(r => r.volume.CreatedAt)).size).toBe(1);
  });

  it('without a name: 64 hex digits; anonymous ones are flagged and labelled as docker does', async () => {
    const store = new VolumeStore(layout);
    const plain = await store.create();
    expect(plain.volume.Name).toMatch(/^[0-9a-f]{64}$/);
    expect(plain.volume.Anonymous).toBe(false);
    const anon = await store.create({ anonymous: true });
    expect(anon.volume).toMatchObject({ Anonymous: true, Labels: { [ANONYMOUS_LABEL]: '' } });
    expect(anon.volume.Name).not.toBe(plain.volume.Name);
    expect((await store.list()).map(v => v.Name).sort()).toEqual([plain.volume.Name, anon.volume.Name].sort());
  });

  it('refuses invalid names with 125; get of a missing one says No such volume', async () => {
    const store = new VolumeStore(layout);
    for (const bad of ['a', '../x', 'a/b', '.hidden', '-x', 'a b']) {
      const err = await store.create({ name: bad }).catch(e => e as RackerError);
      expect(err, bad).toBeInstanceOf(RackerError);
      expect((err as RackerError).message).toMatch(/invalid volume name/);
      expect((err as RackerError).exitCode).toBe(125);
    }
    await expect(store.get('missing')).rejects.toThrow('No such volume: missing');
    await expect(store.get('../etc')).rejects.toThrow('No such volume');
    expect(await readdir(path.join(dir, 'volumes')).catch(() => [])).toEqual([]);
  });

  it('a directory there that is not a volume is not taken over', async () => {
    await mkdir(path.join(dir, 'volumes', 'stray', '_data'), { recursive: true });
    await writeFile(path.join(dir, 'volumes', 'stray', '_data', 'f'), 'mine');
    const store = new VolumeStore(layout);
    await expect(store.create({ name: 'stray' })).rejects.toThrow(/exists but is not a volume/);
    expect(await readFile(path.join(dir, 'volumes', 'stray', '_data', 'f'), 'utf8')).toBe('mine');
    expect(await store.list()).toEqual([]);
  });

  it('remove refuses while the users callback names a container; -f only forgives a missing volume', async () => {
    const used = new Set(['busy']);
    const store = new VolumeStore(layout, name => (used.has(name) ? ['web-1', 'web-2'] : []));
    await store.create({ name: 'busy' });
    await store.create({ name: 'idle' });
    const err = await store.remove('busy', { force: true }).catch(e => e as RackerError);
    expect(err).toBeInstanceOf(RackerError);
    expect((err as RackerError).message).toBe('remove busy: volume is in use - [web-1, web-2]');
    expect(await store.find('busy')).toBeDefined();
    expect(await store.remove('idle')).toBe(true);
    expect(await store.find('idle')).toBeUndefined();
    await expect(store.remove('idle')).rejects.toThrow('No such volume: idle');
    expect(await store.remove('idle', { force: true })).toBe(false);
    used.clear();
    expect(await store.remove('busy')).toBe(true);
    expect(await readdir(path.join(dir, 'volumes'))).toEqual([]);
    expect(await readdir(layout.tmpDir)).toEqual([]);
  });

  it('prune removes unused anonymous volumes; with all, every unused one; used ones stay', async () => {
    const users: Record<string, string[]> = {};
    const store = new VolumeStore(layout, name => users[name] ?? []);
    const named = (await store.create({ name: 'named' })).volume;
    const anonFree = (await store.create({ anonymous: true })).volume;
    const anonUsed = (await store.create({ anonymous: true })).volume;
    const namedUsed = (await store.create({ name: 'named-used' })).volume;
    users[anonUsed.Name] = ['c1'];
    users[namedUsed.Name] = ['c2'];
    await writeFile(path.join(anonFree.Mountpoint, 'f'), 'x'.repeat(1000));
    expect(await store.prune()).toEqual({ removed: [anonFree.Name], bytes: 1000 });
    expect((await store.list()).map(v => v.Name).sort()).toEqual([anonUsed.Name, named.Name, namedUsed.Name].sort());
    expect(await store.prune({ all: true })).toEqual({ removed: ['named'], bytes: 0 });
    expect((await store.list()).map(v => v.Name).sort()).toEqual([anonUsed.Name, namedUsed.Name].sort());
  });
});
