// Fixtures the benchmark builds or reuses: a Debian root filesystem (from the
// Debian mirror, cached like the test suite's), OCI images made from it, and
// a docker-registry on loopback serving them.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, openSync, closeSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { createGzip } from 'node:zlib';
import { execa } from 'execa';

export const CACHE = process.env.RACKER_TEST_CACHE ?? '/var/cache/racker-test';
export const MIRROR = process.env.RACKER_TEST_MIRROR ?? 'http://deb.debian.org/debian';

/**
 * Debian bookworm minbase as a tar (~170 MB). The test suite builds one a day
 * with mmdebstrap (slim-bookworm-DATE.tar); the benchmark takes the newest one
 * there, so its fixture stays the same from run to run, and builds today's only
 * when there is none.
 */
export async function debianTarball() {
  await mkdir(CACHE, { recursive: true });
  const cached = (await readdir(CACHE)).filter(f => /^slim-bookworm-\d{4}-\d{2}-\d{2}\.tar$/.test(f)).sort().reverse();
  for (const f of cached) {
    if (await stat(path.join(CACHE, f)).then(s => s.size > 0, () => false)) return path.join(CACHE, f);
  }
  const file = path.join(CACHE, `slim-bookworm-${new Date().toISOString().slice(0, 10)}.tar`);
  const partial = `${file}.${process.pid}.partial`;
  console.error(`bench: building ${file} with mmdebstrap (once a day)…`);
  try {
    await execa('mmdebstrap', ['--variant=minbase', '--mode=root', '--format=tar', '--quiet', 'bookworm', partial, MIRROR], { timeout: 15 * 60_000 });
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
  return file;
}

const sha256 = (buf) => `sha256:${createHash('sha256').update(buf).digest('hex')}`;

/** gzip a tar into the layout's blobs, hashing both streams on the way. */
async function addLayer(layout, tarFile) {
  const tmp = path.join(layout, 'blobs', 'sha256', `.layer-${process.pid}`);
  const diff = createHash('sha256');
  const comp = createHash('sha256');
  let size = 0;
  await pipeline(
    createReadStream(tarFile),
    new Transform({ transform(c, _e, cb) { diff.update(c); cb(null, c); } }),
    createGzip({ level: 6 }),
    new Transform({ transform(c, _e, cb) { comp.update(c); size += c.length; cb(null, c); } }),
    createWriteStream(tmp),
  );
  const digest = `sha256:${comp.digest('hex')}`;
  await rename(tmp, path.join(layout, 'blobs', 'sha256', digest.slice(7)));
  return { digest, size, diffId: `sha256:${diff.digest('hex')}` };
}

async function addBlob(layout, bytes) {
  const digest = sha256(bytes);
  await writeFile(path.join(layout, 'blobs', 'sha256', digest.slice(7)), bytes);
  return { digest, size: bytes.length };
}

/** An OCI layout holding one image per tag: { tag: [tar files, lowest first] }. */
export async function ociLayout(dir, images) {
  await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const done = new Map();
  const manifests = [];
  for (const [tag, tars] of Object.entries(images)) {
    const layers = [];
    for (const tar of tars) {
      if (!done.has(tar)) done.set(tar, await addLayer(dir, tar));
      layers.push(done.get(tar));
    }
    const config = Buffer.from(JSON.stringify({
      architecture: 'amd64', os: 'linux',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['bash'] },
      rootfs: { type: 'layers', diff_ids: layers.map(l => l.diffId) },
    }));
    const cfg = await addBlob(dir, config);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
      layers: layers.map(l => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
    }));
    const m = await addBlob(dir, manifest);
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: { 'org.opencontainers.image.ref.name': tag } });
  }
  await writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
  return { layers: [...done.values()] };
}

/** A small tar with one file, as an extra layer on top of the base. */
export async function smallTar(dir) {
  const src = path.join(dir, 'extra-src');
  await mkdir(path.join(src, 'opt', 'bench'), { recursive: true });
  await writeFile(path.join(src, 'opt', 'bench', 'hello.txt'), 'a second image on the same base\n');
  const tar = path.join(dir, 'extra.tar');
  await execa('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', src, '-cf', tar, 'opt']);
  return tar;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

/** docker-registry on loopback, with an access log to count what clients fetch. */
export async function startRegistry() {
  const root = await mkdtemp(path.join(tmpdir(), 'racker-bench-registry-'));
  const host = `127.0.0.1:${await freePort()}`;
  const config = path.join(root, 'config.yml');
  const log = path.join(root, 'registry.log');
  await writeFile(config, ['version: 0.1', 'log:', '  level: error', '  accesslog:', '    disabled: false', 'storage:', '  filesystem:',
    `    rootdirectory: ${root}/storage`, 'http:', `  addr: ${host}`, ''].join('\n'));
  const fd = openSync(log, 'a');
  const child = execa('docker-registry', ['serve', config], { stdin: 'ignore', stdout: fd, stderr: fd, reject: false });
  closeSync(fd);
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://${host}/v2/`).then(r => r.ok, () => false);
    if (ok) break;
    if (i === 99) throw new Error(`docker-registry did not start: ${await readFile(log, 'utf8')}`);
    await new Promise(r => setTimeout(r, 100));
  }
  return {
    host,
    /** access log lines written from `offset` on */
    async logSince(offset) { return (await readFile(log, 'utf8')).slice(offset); },
    async logSize() { return (await stat(log)).size; },
    async push(layout, tag, repo) {
      await execa('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:${tag}`, `docker://${host}/${repo}`]);
    },
    async stop() {
      child.kill('SIGTERM');
      await child;
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** GET requests for blobs in an access log: [{ digest, bytes }]. */
export function blobGets(log) {
  const out = [];
  for (const m of log.matchAll(/"GET \/v2\/[^ ]*\/blobs\/(sha256:[0-9a-f]{64}) HTTP\/[0-9.]+" (\d{3}) (\d+|-)/g)) {
    out.push({ digest: m[1], status: Number(m[2]), bytes: m[3] === '-' ? 0 : Number(m[3]) });
  }
  return out;
}
