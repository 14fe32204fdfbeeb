import { describe, expect, it } from 'vitest';
import { parseManifestDocument, selectPlatform } from '../../../src/image/oci-layout-fetcher.js';
import type { Descriptor } from '../../../src/image/oci.js';
import { CLEAR, RAW_CONTROL, TITLE, thrown } from '../../helpers/untrusted-text.js';

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
