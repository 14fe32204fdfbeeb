import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine } from '../../../src/engine/engine.js';
import { EngineEvents } from '../../../src/engine/events.js';
import { VolumeService } from '../../../src/engine/volumes.js';
import { StoreLayout } from '../../../src/store/layout.js';
import { VolumeStore } from '../../../src/store/volume-store.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'racker-unit-volume-service-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('VolumeService (engine.volumes)', () => {
  it('the engine of a root has its volumes: create, find, get, list, remove', async () => {
    const engine = new Engine({ root: dir, events: new EngineEvents() });
    const { volume, created } = await engine.volumes.create({ name: 'data', labels: { app: 'web' } });
    expect(created).toBe(true);
    expect(volume.Mountpoint).toBe(path.join(dir, 'volumes', 'data', '_data'));
    expect(await engine.volumes.find('data')).toEqual(volume);
    expect(await engine.volumes.get('data')).toEqual(volume);
    expect((await engine.volumes.list()).map(v => v.Name)).toEqual(['data']);
    expect(await engine.volumes.users('data')).toEqual([]);
    expect(await engine.volumes.remove('data')).toBe(true);
    expect(await engine.volumes.find('data')).toBeUndefined();
    await expect(engine.volumes.get('data')).rejects.toThrow(/No such volume: data/);
    expect(await engine.volumes.remove('data', { force: true })).toBe(false);
  });

  it('a volume a container uses is not removed nor pruned; size counts its data', async () => {
    const users: Record<string, string[]> = { used: ['web-1'] };
    const volumes = new VolumeService(new VolumeStore(new StoreLayout(dir), n => users[n] ?? []), n => users[n] ?? []);
    for (const name of ['used', 'free']) await volumes.create({ name });
    await writeFile(path.join((await volumes.get('used')).Mountpoint, 'f'), 'x'.repeat(5000));
    expect(await volumes.users('used')).toEqual(['web-1']);
    expect(await volumes.size('used')).toBeGreaterThanOrEqual(5000);
    await expect(volumes.remove('used')).rejects.toThrow(/volume is in use - \[web-1\]/);
    expect((await volumes.prune({ all: true, matches: v => v.Name !== 'nothing' })).removed).toEqual(['free']);
    expect((await volumes.list()).map(v => v.Name)).toEqual(['used']);
  });
});
