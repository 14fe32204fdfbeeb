import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { OciLayoutFetcher, parseManifestDocument, selectPlatform } from '../../../src/image/oci-layout-fetcher.js';
import { DigestVerifier } from '../../../src/image/digest.js';
import type { Descriptor, Platform } from '../../../src/image/oci.js';
import { writeOciLayout } from '../../helpers/oci-layout.js';
import { buildLayer, sha256, type BuiltLayer } from '../../helpers/tar-builder.js';
import { CLEAR, RAW_CONTROL, TITLE, thrown } from '../../helpers/untrusted-text.js';

let work: string;
beforeAll(async () => { work = await mkdtemp(path.join(tmpdir(), 'racker-test-ocilayout-')); });
afterAll(async () => { await rm(work, { recursive: true, force: true }); });

let n = 0;
const freshDir = () => path.join(work, String(++n));

async function readAll(stream: Readable, verifier?: DigestVerifier): Promise<Buffer> {
  const out: Buffer[] = [];
  const sink = async (src: AsyncIterable<Buffer>) => { for await (const c of src) out.push(c); };
  if (verifier) await pipeline(stream, verifier, sink);
  else await pipeline(stream, sink);
  return Buffer.concat(out);
}

const layerDesc = (l: BuiltLayer): Descriptor => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.gz.length });

async function putBlob(dir: string, buf: Buffer): Promise<string> {
  const d = sha256(buf);
  await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(path.join(dir, 'blobs', 'sha256', d.slice(7)), buf);
  return d;
}

async function editIndexJson(dir: string, edit: (index: { manifests: Record<string, unknown>[] }) => void): Promise<void> {
  const file = path.join(dir, 'index.json');
  const index = JSON.parse(await readFile(file, 'utf8')) as { manifests: Record<string, unknown>[] };
  edit(index);
  await writeFile(file, JSON.stringify(index));
}

/** One image manifest per platform, written as blobs; returns their descriptors. */
async function platformImages(dir: string, platforms: Platform[]): Promise<Descriptor[]> {
  const out: Descriptor[] = [];
  for (const p of platforms) {
    const layer = buildLayer([{ type: 'file', name: 'arch', body: p.architecture }]);
    await putBlob(dir, layer.gz);
    const config = Buffer.from(JSON.stringify({ architecture: p.architecture, os: p.os, rootfs: { type: 'layers', diff_ids: [layer.diffId] } }));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await putBlob(dir, config), size: config.length },
      layers: [layerDesc(layer)],
    }));
    out.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: await putBlob(dir, manifest), size: manifest.length, platform: p });
  }
  return out;
}

describe('OciLayoutFetcher', () => {
  it('reads the tagged image, verified, and streams its blobs from any offset', async () => {
    const dir = freshDir();
    const layer = buildLayer([{ type: 'file', name: 'f', body: 'x'.repeat(5000) }]);
    const img = await writeOciLayout(dir, { layers: [layer], config: { Cmd: ['true'] }, tag: 'v1' });
    const f = new OciLayoutFetcher({ dir, tag: 'v1' });
    expect(f.description).toBe(`oci:${dir}:v1`);
    const r = await f.resolve();
    expect(r.manifestDigest).toBe(img.manifestDigest);
    expect(r.manifestBytes.equals(img.manifest)).toBe(true);
    expect(r.configDigest).toBe(img.configDigest);
    expect(r.config.config?.Cmd).toEqual(['true']);
    const whole = await f.openBlob(layerDesc(layer));
    expect(whole.startsAt).toBe(0);
    expect((await readAll(whole.stream, new DigestVerifier({ digest: layer.digest, size: layer.gz.length }))).equals(layer.gz)).toBe(true);
    const tail = await f.openBlob(layerDesc(layer), 10);
    expect(tail.startsAt).toBe(10);
    expect((await readAll(tail.stream)).equals(layer.gz.subarray(10))).toBe(true);
    // without a tag, the only image is taken
    expect((await new OciLayoutFetcher({ dir }).resolve()).manifestDigest).toBe(img.manifestDigest);
  });

  it('selects by tag among several, and names the tags when the choice is missing or wrong', async () => {
    const dir = freshDir();
    const a = await writeOciLayout(path.join(work, 'a'), { layers: [buildLayer([{ type: 'file', name: 'a' }])], tag: 'a' });
    await writeOciLayout(dir, { layers: [buildLayer([{ type: 'file', name: 'b' }])], tag: 'b' });
    // merge image "a" into the layout of "b"
    for (const d of [a.manifestDigest, a.configDigest]) await putBlob(dir, await readFile(path.join(work, 'a', 'blobs', 'sha256', d.slice(7))));
    for (const l of JSON.parse(a.manifest.toString()).layers as Descriptor[]) await putBlob(dir, await readFile(path.join(work, 'a', 'blobs', 'sha256', l.digest.slice(7))));
    await editIndexJson(dir, idx => idx.manifests.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: a.manifestDigest, size: a.manifest.length,
      annotations: { 'org.opencontainers.image.ref.name': 'a' },
    }));
    expect((await new OciLayoutFetcher({ dir, tag: 'a' }).resolve()).manifestDigest).toBe(a.manifestDigest);
    await expect(new OciLayoutFetcher({ dir }).resolve()).rejects.toThrow(/holds 2 images; name one \(tags: b, a\)/);
    await expect(new OciLayoutFetcher({ dir, tag: 'c' }).resolve()).rejects.toThrow(/no image tagged 'c' .*tags: b, a/);
  });

  it('follows nested indexes down to the platform asked for', async () => {
    const dir = freshDir();
    const images = await platformImages(dir, [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }]);
    const inner = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: images }));
    const innerDigest = await putBlob(dir, inner);
    const outer = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [
      { mediaType: 'application/vnd.oci.image.index.v1+json', digest: innerDigest, size: inner.length, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: 'application/vnd.oci.image.index.v1+json', digest: innerDigest, size: inner.length, platform: { os: 'linux', architecture: 'arm64' } },
    ] }));
    const outerDigest = await putBlob(dir, outer);
    await writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [
      { mediaType: 'application/vnd.oci.image.index.v1+json', digest: outerDigest, size: outer.length, annotations: { 'org.opencontainers.image.ref.name': 'multi' } },
    ] }));
    const arm = await new OciLayoutFetcher({ dir, tag: 'multi', platform: { os: 'linux', architecture: 'arm64' } }).resolve();
    expect(arm.manifestDigest).toBe(outerDigest);
    expect(arm.config.architecture).toBe('arm64');
    expect(sha256(arm.manifestBytes)).toBe(images[1].digest);
    const amd = await new OciLayoutFetcher({ dir, tag: 'multi', platform: { os: 'linux', architecture: 'amd64' } }).resolve();
    expect(amd.config.architecture).toBe('amd64');
    await expect(new OciLayoutFetcher({ dir, tag: 'multi', platform: { os: 'linux', architecture: 'riscv64' } }).resolve())
      .rejects.toThrow(/no image for linux\/riscv64 .*available: linux\/amd64, linux\/arm64/);
  });

  it('rejects a climbing digest in index.json before building a path from it', async () => {
    const dir = freshDir();
    await writeOciLayout(dir, { layers: [buildLayer([{ type: 'file', name: 'x' }])], tag: 'latest' });
    // what sha256:../../x would reach from blobs/sha256/
    await writeFile(path.join(dir, 'x'), JSON.stringify({ schemaVersion: 2, config: {}, layers: [] }));
    await editIndexJson(dir, idx => { idx.manifests[0].digest = 'sha256:../../x'; });
    await expect(new OciLayoutFetcher({ dir, tag: 'latest' }).resolve()).rejects.toThrow(/invalid digest 'sha256:\.\.\/\.\.\/x'/);
    const f = new OciLayoutFetcher({ dir });
    await expect(f.openBlob({ mediaType: 'x', digest: 'sha256:../../x', size: 1 })).rejects.toThrow(/invalid digest/);
  });

  it('refuses tampered blobs: config and manifest at resolve, layers in the verifier', async () => {
    const dir = freshDir();
    const layer = buildLayer([{ type: 'file', name: 'data', body: 'original' }]);
    const img = await writeOciLayout(dir, { layers: [layer], tag: 'latest' });
    const blob = (d: string) => path.join(dir, 'blobs', 'sha256', d.slice(7));
    await writeFile(blob(layer.digest), Buffer.from(layer.gz.map(b => b ^ 0xff)));
    const f = new OciLayoutFetcher({ dir, tag: 'latest' });
    await f.resolve();
    const { stream } = await f.openBlob(layerDesc(layer));
    await expect(readAll(stream, new DigestVerifier({ digest: layer.digest, size: layer.gz.length }))).rejects.toThrow(/digest mismatch/);

    await writeFile(blob(img.configDigest), Buffer.concat([img.config, Buffer.from(' ')]));
    await expect(new OciLayoutFetcher({ dir, tag: 'latest' }).resolve()).rejects.toThrow(/size mismatch/);
    await writeFile(blob(img.configDigest), Buffer.from(img.config.map(b => (b === 0x31 ? 0x32 : b))));
    await expect(new OciLayoutFetcher({ dir, tag: 'latest' }).resolve()).rejects.toThrow(/digest mismatch/);
    await writeFile(blob(img.manifestDigest), Buffer.from(img.manifest.toString().replace('"schemaVersion":2', '"schemaVersion":3')));
    await expect(new OciLayoutFetcher({ dir, tag: 'latest' }).resolve()).rejects.toThrow(/digest mismatch/);
  });

  it('neither hangs on a FIFO blob nor reads a huge index.json', async () => {
    const dir = freshDir();
    const layer = buildLayer([{ type: 'file', name: 'x' }]);
    await writeOciLayout(dir, { layers: [layer], tag: 'latest' });
    const blob = path.join(dir, 'blobs', 'sha256', layer.digest.slice(7));
    await rm(blob);
    await execa('mkfifo', [blob]);
    await expect(new OciLayoutFetcher({ dir }).openBlob(layerDesc(layer))).rejects.toThrow(/not a regular file/);
    await writeFile(path.join(dir, 'index.json'), Buffer.alloc(5 * 1024 * 1024, 0x20));
    await expect(new OciLayoutFetcher({ dir }).resolve()).rejects.toThrow(/larger than 4194304 bytes/);
  });

  it('says clearly when the directory is not a layout', async () => {
    await expect(new OciLayoutFetcher({ dir: path.join(work, 'nothing-here') }).resolve()).rejects.toThrow(/index\.json is missing from/);
  });
});

const DIGEST = `sha256:${'a'.repeat(64)}`;
const desc = (platform: Descriptor['platform'], i = 0): Descriptor =>
  ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${i.toString(16).padStart(64, '0')}`, size: 1, platform });

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
    expect(thrown(() => parseManifestDocument(manifest({ mediaType: 5 }), 't')).message).toMatch(/mediaType that is not a string/);
    expect(thrown(() => parseManifestDocument(manifest({}, { mediaType: ['x'] }), 't')).message).toMatch(/has no media type/);
    expect(thrown(() => parseManifestDocument(manifest({}, { urls: 'http://x' }), 't')).message).toMatch(/urls that are not a list of strings/);
    expect(thrown(() => parseManifestDocument(manifest({}, { annotations: { a: 1 } }), 't')).message).toMatch(/annotations that are not an object of strings/);
    expect(thrown(() => parseManifestDocument(manifest({ annotations: 'x' }), 't')).message).toMatch(/annotations that are not an object of strings/);
    expect(thrown(() => parseManifestDocument(manifest({ layers: 'x' }), 't')).message).toMatch(/no layers list/);
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ ...layer, mediaType: 'application/vnd.oci.image.manifest.v1+json', platform: { os: 'linux', architecture: 'arm', variant: 7 } }],
    }));
    expect(thrown(() => parseManifestDocument(index, 't')).message).toMatch(/malformed platform/);
  });
});

describe('registry strings in messages', () => {
  it('an index with hostile platform names: the error shows them escaped', () => {
    const err = thrown(() => selectPlatform([desc({ os: `linux${TITLE}`, architecture: `arm${CLEAR}` })], { os: 'linux', architecture: 'amd64' }, 'test'));
    expect(err.message).not.toMatch(RAW_CONTROL);
    expect(err.message).toContain('linux\\x1b]0;pwned\\x07/arm\\x1b[2J');
  });

  it('an index with 1,000 platforms names a few and the count', () => {
    const manifests = Array.from({ length: 1000 }, (_, i) => desc({ os: 'linux', architecture: `arch${i}` }, i));
    const err = thrown(() => selectPlatform(manifests, { os: 'linux', architecture: 'amd64' }, 'test'));
    expect(err.message).toMatch(/available: linux\/arch0, linux\/arch1, linux\/arch2, linux\/arch3, linux\/arch4 \.\.\. and 995 more$/);
    expect(err.message.length).toBeLessThan(300);
  });

  it('an unknown manifest media type is shown escaped and cut', () => {
    const doc = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: `application/x${TITLE}${'z'.repeat(10_000)}` }));
    const err = thrown(() => parseManifestDocument(doc, 'test'));
    expect(err.message).not.toMatch(RAW_CONTROL);
    expect(err.message).toContain('application/x\\x1b]0;pwned\\x07');
    expect(err.message.length).toBeLessThan(400);
  });
});
