import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile, mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sweepStaging } from '../../src/atomic.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'racker-unit-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('sweepStaging', () => {
  it('removes what dead processes left, keeps what live ones are writing', async () => {
    const staging = path.join(dir, 'tmp');
    await mkdir(path.join(staging, 'layer-abc.2147483646.0123abcd'), { recursive: true });
    await writeFile(path.join(staging, 'layer-abc.2147483646.0123abcd', 'f'), 'x');
    await writeFile(path.join(staging, `.tags.json.${process.pid}.89abcdef`), 'x');
    await writeFile(path.join(staging, 'unrelated'), 'x');
    expect(await sweepStaging(staging)).toBe(1);
    expect((await readdir(staging)).sort()).toEqual([`.tags.json.${process.pid}.89abcdef`, 'unrelated']);
  });
});
