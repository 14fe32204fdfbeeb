import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { unpackLayer } from '../../../../src/store/unpack/unpack-layer.js';
import { buildLayer } from '../../../helpers/tar-builder.js';

describe('unpackLayer', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'racker-unpack-layer-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('unpacks and reports the diff id, size and counts of the stream', async () => {
    const layer = buildLayer([{ type: 'file', name: 'a/b', body: 'content' }, { type: 'block', name: 'dev/sda', major: 8, minor: 0 }]);
    const dest = path.join(dir, 'fs');
    await mkdir(dest);
    let seen = 0;
    // the stream arrives in uneven pieces
    const pieces = [layer.tar.subarray(0, 100), layer.tar.subarray(100, 1500), layer.tar.subarray(1500)];
    const stats = await unpackLayer(Readable.from(pieces), dest, { onBytes: n => { seen += n; } });
    expect(stats).toEqual({ diffId: layer.diffId, bytes: layer.tar.length, entries: 2, skippedDevices: 1, droppedXattrs: 0 });
    expect(seen).toBe(layer.tar.length);
    expect(readFileSync(path.join(dest, 'a/b'), 'utf8')).toBe('content');
  });

  it('refuses a destination that is not an empty directory', async () => {
    const tar = () => Readable.from([buildLayer([]).tar]);
    await writeFile(path.join(dir, 'file'), '');
    await expect(unpackLayer(tar(), path.join(dir, 'file'))).rejects.toThrow('not a directory');
    await expect(unpackLayer(tar(), path.join(dir, 'missing'))).rejects.toThrow('not a directory');
    await expect(unpackLayer(tar(), dir)).rejects.toThrow('not empty');
  });
});
