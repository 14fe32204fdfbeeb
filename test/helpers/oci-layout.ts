import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256, type BuiltLayer } from './tar-builder.js';

export interface ImageSpec {
  layers: BuiltLayer[];
  config?: { Env?: string[]; Entrypoint?: string[]; Cmd?: string[]; WorkingDir?: string; User?: string; Labels?: Record<string, string> };
  tag?: string;
}

export interface WrittenImage { manifestDigest: string; configDigest: string; manifest: Buffer; config: Buffer }

/** Writes an OCI image layout (index.json, oci-layout, blobs/sha256/…) holding one image. */
export async function writeOciLayout(dir: string, spec: ImageSpec): Promise<WrittenImage> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (buf: Buffer) => {
    const d = sha256(buf);
    await writeFile(path.join(blobs, d.slice(7)), buf);
    return d;
  };
  const config = Buffer.from(JSON.stringify({
    created: '2026-01-01T00:00:00Z',
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], ...spec.config },
    rootfs: { type: 'layers', diff_ids: spec.layers.map(l => l.diffId) },
  }));
  const configDigest = await put(config);
  for (const l of spec.layers) await put(l.gz);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: spec.layers.map(l => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.gz.length })),
  }));
  const manifestDigest = await put(manifest);
  await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(path.join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length,
      annotations: { 'org.opencontainers.image.ref.name': spec.tag ?? 'latest' },
    }],
  }));
  return { manifestDigest, configDigest, manifest, config };
}
