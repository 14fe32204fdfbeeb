import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ArchiveFetcher } from '../../../src/image/archive-fetcher.js';
import { DigestVerifier } from '../../../src/image/digest.js';
import { run } from '../../../src/process.js';
import { writeOciLayout, type WrittenImage } from '../../helpers/oci-layout.js';
import { buildLayer, type BuiltLayer } from '../../helpers/tar-builder.js';

let work: string;
let layer: BuiltLayer;
let img: WrittenImage;
let archive: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'racker-test-archive-'));
  layer = buildLayer([{ type: 'file', name: 'hello', body: 'from an archive\n' }]);
  img = await writeOciLayout(path.join(work, 'layout'), { layers: [layer], config: { Cmd: ['hello'] }, tag: 'v1' });
  archive = path.join(work, 'image.tar');
  await run('skopeo', ['copy', '--quiet', `oci:${path.join(work, 'layout')}:v1`, `oci-archive:${archive}:v1`]);
});
afterAll(async () => { await rm(work, { recursive: true, force: true }); });

const exists = (p: string) => access(p).then(() => true, () => false);

describe('ArchiveFetcher', () => {
  it('reads an oci-archive through a private layout, and close() removes it', async () => {
    const f = new ArchiveFetcher({ transport: 'oci-archive', file: archive, tag: 'v1' });
    expect(f.description).toBe(`oci-archive:${archive}:v1`);
    try {
      const r = await f.resolve();
      expect(r.manifest.layers.map(l => l.digest)).toEqual([layer.digest]);
      expect(r.configDigest).toBe(img.configDigest);
      expect(r.config.config?.Cmd).toEqual(['hello']);
      const { stream } = await f.openBlob(r.manifest.layers[0]);
      const out: Buffer[] = [];
      await pipeline(stream, new DigestVerifier({ digest: layer.digest, size: layer.gz.length }), async (src: AsyncIterable<Buffer>) => { for await (const c of src) out.push(c); });
      expect(Buffer.concat(out).equals(layer.gz)).toBe(true);
    } finally {
      const dir = (f as unknown as { workDir?: string }).workDir;
      await f.close();
      if (dir) expect(await exists(dir)).toBe(false);
    }
  });

  it('reads a docker-archive', async () => {
    const file = path.join(work, 'docker.tar');
    await run('skopeo', ['copy', '--quiet', `oci:${path.join(work, 'layout')}:v1`, `docker-archive:${file}:example/hello:v1`]);
    const f = new ArchiveFetcher({ transport: 'docker-archive', file, tag: 'example/hello:v1' });
    try {
      const r = await f.resolve();
      expect(r.config.config?.Cmd).toEqual(['hello']);
      expect(r.manifest.layers).toHaveLength(1);
    } finally {
      await f.close();
    }
  });

  it('names a missing file before running skopeo, and a wrong tag through skopeo', async () => {
    const missing = new ArchiveFetcher({ transport: 'oci-archive', file: path.join(work, 'nope.tar') });
    await expect(missing.resolve()).rejects.toThrow(`no such file: ${path.join(work, 'nope.tar')}`);
    const wrongTag = new ArchiveFetcher({ transport: 'oci-archive', file: archive, tag: 'v2' });
    try {
      await expect(wrongTag.resolve()).rejects.toThrow(/skopeo returned exit code/);
      expect((wrongTag as unknown as { workDir?: string }).workDir).toBeUndefined();
    } finally {
      await wrongTag.close();
    }
  });
});
