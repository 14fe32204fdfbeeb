import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NetworkStore, type Lease } from '../../../src/network/store.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'racker-unit-netstore-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('NetworkStore leases', () => {
  const lease: Lease = { containerId: 'c'.repeat(64), name: 'web', aliases: [], ip: '10.89.0.2', netns: 'ns', veth: 'rk-v', ifname: 'eth0', ports: [] };

  it('are written whole and read back; an empty set removes the file', async () => {
    const store = new NetworkStore(dir);
    await store.ensure();
    await store.writeLeases('n1', { [lease.containerId]: lease });
    expect(await store.leases('n1')).toEqual({ [lease.containerId]: lease });
    await store.writeLeases('n1', {});
    await expect(readFile(store.leasesFile('n1'))).rejects.toThrow(/ENOENT/);
    expect(await store.leases('n1')).toEqual({});
  });

  it('a lease file a host crash cut short (they are not fsynced) reads as no leases', async () => {
    const store = new NetworkStore(dir);
    await store.ensure();
    await writeFile(store.leasesFile('n1'), '');
    expect(await store.leases('n1')).toEqual({});
    await writeFile(store.leasesFile('n1'), '{"ccc": {"containerId": ');
    expect(await store.leases('n1')).toEqual({});
  });
});

describe('NetworkStore create intents', () => {
  it('are listed by id until removed; the bridge comes from the id, not from the file', async () => {
    const store = new NetworkStore(dir);
    const id = 'ab'.repeat(16);
    expect(await store.creating()).toEqual([]);
    await store.markCreating({ name: 'n1', id, bridge: 'rk-br-abababab' });
    expect(await store.creating()).toEqual([{ name: 'n1', id, bridge: 'rk-br-abababab' }]);
    // a file cut short, or one that names another bridge: the id (its file name) decides
    await writeFile(path.join(store.creatingDir, id), '{"name":"n1","bridge":"eth0"');
    expect(await store.creating()).toEqual([{ name: '', id, bridge: 'rk-br-abababab' }]);
    await store.unmarkCreating(id);
    expect(await store.creating()).toEqual([]);
  });
});
