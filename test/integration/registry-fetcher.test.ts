import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RegistryFetcher, type RegistryEndpoint } from '../../src/registry/registry-fetcher.js';
import { DigestVerifier } from '../../src/image/digest.js';
import type { Descriptor, Platform } from '../../src/image/oci.js';
import { RackerError } from '../../src/errors.js';
import { run } from '../../src/process.js';
import { EXTRA_CA_ENV } from '../../src/registry/extra-ca.js';
import { execa } from 'execa';
import { RACKER } from '../helpers/cli.js';
import { freePort, pushLayout, startRegistry, tamperBlob, type TestRegistry } from '../helpers/registry.js';
import { writeOciLayout, type WrittenImage } from '../helpers/oci-layout.js';
import { buildLayer, sha256, type BuiltLayer } from '../helpers/tar-builder.js';

/**
 * RegistryFetcher against a real docker-registry on loopback, with a small
 * proxy in front of it where a test needs a misbehaving server.
 */
let reg: TestRegistry;
let work: string;
let single: WrittenImage;
let small: BuiltLayer;
let big: BuiltLayer;

const endpoint = (host: string, repository: string, extra: Partial<RegistryEndpoint> = {}): RegistryEndpoint =>
  ({ registry: host, repository, insecure: true, mirror: false, ...extra });

function fetcherFor(repository: string, ref: { tag?: string; digest?: string }, opts: { endpoints?: RegistryEndpoint[]; platform?: Platform; retries?: number; retryDelayMs?: number; tlsVerify?: boolean; host?: string } = {}) {
  const host = opts.host ?? reg.host;
  return new RegistryFetcher({
    ref: { transport: 'docker', registry: host, repository, ...ref },
    endpoints: opts.endpoints ?? [endpoint(host, repository)],
    tlsVerify: opts.tlsVerify ?? false,
    platform: opts.platform,
    retries: opts.retries ?? 3,
    retryDelayMs: opts.retryDelayMs ?? 20,
  });
}

async function readAll(stream: Readable, verifier?: DigestVerifier): Promise<Buffer> {
  const out: Buffer[] = [];
  const sink = async (src: AsyncIterable<Buffer>) => { for await (const c of src) out.push(c); };
  if (verifier) await pipeline(stream, verifier, sink);
  else await pipeline(stream, sink);
  return Buffer.concat(out);
}

/** The RackerError a promise must reject with. */
async function failure(p: Promise<unknown>): Promise<RackerError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(RackerError);
    return err as RackerError;
  }
  throw new Error('expected a failure, but it succeeded');
}

function layerDesc(l: BuiltLayer): Descriptor {
  return { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.gz.length };
}

/** An OCI layout whose tag names an image index with one image per platform. */
async function writeIndexLayout(dir: string, tag: string, platforms: Platform[]) {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (buf: Buffer) => { const d = sha256(buf); await writeFile(path.join(blobs, d.slice(7)), buf); return d; };
  const manifests: Descriptor[] = [];
  for (const p of platforms) {
    const layer = buildLayer([{ type: 'file', name: 'arch', body: `${p.architecture}\n` }]);
    await put(layer.gz);
    const config = Buffer.from(JSON.stringify({ architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}), config: {}, rootfs: { type: 'layers', diff_ids: [layer.diffId] } }));
    const configDigest = await put(config);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer.digest, size: layer.gz.length }],
    }));
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: await put(manifest), size: manifest.length, platform: p });
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  const indexDigest = await put(index);
  await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(path.join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: indexDigest, size: index.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
  return { indexDigest, manifests };
}

type Handler = (req: IncomingMessage, res: ServerResponse, forward: () => void) => void;

/** A loopback HTTP server in front of the registry; `handler` decides per request. */
async function startProxy(handler: Handler, tls?: { key: Buffer; cert: Buffer }): Promise<{ host: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    const forward = () => {
      const [hostname, port] = reg.host.split(':');
      const up = httpRequest({ hostname, port: Number(port), method: req.method, path: req.url, headers: { ...req.headers, host: reg.host } }, upRes => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    handler(req, res, forward);
  };
  const server: Server = tls ? createHttpsServer(tls, onRequest) : createServer(onRequest);
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const host = `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    host, requests,
    close: () => new Promise<void>(r => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

beforeAll(async () => {
  reg = await startRegistry();
  work = await mkdtemp(path.join(tmpdir(), 'racker-test-regfetch-'));
  small = buildLayer([{ type: 'file', name: 'hello', body: 'hello\n' }]);
  // incompressible, so the blob is big enough for range requests and cuts
  big = buildLayer([{ type: 'file', name: 'noise', body: randomBytes(256 * 1024) }]);
  single = await writeOciLayout(path.join(work, 'single'), { layers: [small, big], config: { Cmd: ['sh'] }, tag: 'v1' });
  await pushLayout(reg, path.join(work, 'single'), 'v1', 'test/single:v1');
});

afterAll(async () => {
  await reg?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('RegistryFetcher', () => {
  it('resolves by tag: manifest and config verified and parsed, digest computed from the bytes', async () => {
    const f = fetcherFor('test/single', { tag: 'v1' });
    expect(f.description).toBe(`docker://${reg.host}/test/single:v1`);
    const r = await f.resolve();
    expect(r.manifestDigest).toBe(single.manifestDigest);
    expect(r.manifestBytes.equals(single.manifest)).toBe(true);
    expect(r.configDigest).toBe(single.configDigest);
    expect(r.configBytes.equals(single.config)).toBe(true);
    expect(r.config.config?.Cmd).toEqual(['sh']);
    expect(r.manifest.layers.map(l => l.digest)).toEqual([small.digest, big.digest]);
  });

  it('resolves by digest, and refuses a digest the registry does not have', async () => {
    const r = await fetcherFor('test/single', { digest: single.manifestDigest }).resolve();
    expect(r.manifestDigest).toBe(single.manifestDigest);
    const missing = sha256('nothing');
    await expect(fetcherFor('test/single', { digest: missing }).resolve()).rejects.toThrow(/manifest unknown/);
  });

  it('streams a blob that passes the DigestVerifier', async () => {
    const f = fetcherFor('test/single', { tag: 'v1' });
    await f.resolve();
    const { stream, startsAt } = await f.openBlob(layerDesc(big));
    expect(startsAt).toBe(0);
    const bytes = await readAll(stream, new DigestVerifier({ digest: big.digest, size: big.gz.length }));
    expect(bytes.equals(big.gz)).toBe(true);
  });

  it('resumes with a Range request (206) and says where the stream starts', async () => {
    const f = fetcherFor('test/single', { tag: 'v1' });
    const offset = 100_000;
    const { stream, startsAt } = await f.openBlob(layerDesc(big), offset);
    expect(startsAt).toBe(offset);
    expect((await readAll(stream)).equals(big.gz.subarray(offset))).toBe(true);
  });

  it('falls back to the whole blob when the server ignores Range (200 → startsAt 0)', async () => {
    const proxy = await startProxy((req, _res, forward) => { delete req.headers.range; forward(); });
    try {
      const f = fetcherFor('test/single', { tag: 'v1' }, { host: proxy.host });
      const { stream, startsAt } = await f.openBlob(layerDesc(big), 5000);
      expect(startsAt).toBe(0);
      expect((await readAll(stream)).equals(big.gz)).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('resumes after the connection is cut mid-blob', async () => {
    let cut = true;
    const proxy = await startProxy((req, res, forward) => {
      if (!(cut && req.url?.includes('/blobs/'))) { forward(); return; }
      cut = false;
      // half the blob, then a dead socket
      res.writeHead(200, { 'content-length': String(big.gz.length), 'content-type': 'application/octet-stream' });
      res.write(big.gz.subarray(0, 50_000), () => res.destroy());
    });
    try {
      const f = fetcherFor('test/single', { tag: 'v1' }, { host: proxy.host });
      const first = await f.openBlob(layerDesc(big));
      const got: Buffer[] = [];
      await expect((async () => { for await (const c of first.stream) got.push(c as Buffer); })()).rejects.toThrow();
      const have = Buffer.concat(got).length;
      expect(have).toBeGreaterThan(0);
      const rest = await f.openBlob(layerDesc(big), have);
      expect(rest.startsAt).toBe(have);
      const all = Buffer.concat([...got, await readAll(rest.stream)]);
      expect(all.equals(big.gz)).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('picks the platform from a multi-platform index, and lists the platforms when none fits', async () => {
    const dir = path.join(work, 'multi');
    const platforms = [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }];
    const { indexDigest, manifests } = await writeIndexLayout(dir, 'multi', platforms);
    await pushLayout(reg, dir, 'multi', 'test/multi:latest');

    const arm = await fetcherFor('test/multi', { tag: 'latest' }, { platform: { os: 'linux', architecture: 'arm64' } }).resolve();
    expect(arm.manifestDigest).toBe(indexDigest);
    expect(arm.config.architecture).toBe('arm64');
    expect(sha256(arm.manifestBytes)).toBe(manifests[1].digest);

    const amd = await fetcherFor('test/multi', { digest: indexDigest }, { platform: { os: 'linux', architecture: 'amd64' } }).resolve();
    expect(amd.config.architecture).toBe('amd64');

    const err = await failure(fetcherFor('test/multi', { tag: 'latest' }, { platform: { os: 'linux', architecture: 's390x' } }).resolve());
    expect(err).toBeInstanceOf(RackerError);
    expect((err as RackerError).message).toMatch(/no image for linux\/s390x .*available: linux\/amd64, linux\/arm64\/v8/);
  });

  it('fails fast and clearly on an unknown repository or tag, without retrying', async () => {
    const proxy = await startProxy((_req, _res, forward) => forward());
    try {
      for (const [repo, tag] of [['test/nope', 'latest'], ['test/single', 'nope']]) {
        proxy.requests.length = 0;
        const started = Date.now();
        const err = await failure(fetcherFor(repo, { tag }, { host: proxy.host, retryDelayMs: 2000 }).resolve());
        const took = Date.now() - started;
        expect(err).toBeInstanceOf(RackerError);
        expect(err.message).toMatch(new RegExp(`manifest unknown: ${proxy.host} has no ${repo}:${tag}`));
        expect(err.hint).toMatch(/check the name and tag/);
        expect(proxy.requests.filter(r => r.includes('/manifests/'))).toHaveLength(1);
        expect(took).toBeLessThan(1000);
        console.log(`404 for ${repo}:${tag} took ${took} ms`);
      }
    } finally {
      await proxy.close();
    }
  });

  it('refuses a tampered blob with a digest mismatch', async () => {
    const dir = path.join(work, 'tampered');
    const unique = buildLayer([{ type: 'file', name: 'data', body: `original ${randomBytes(8).toString('hex')}` }]);
    const img = await writeOciLayout(dir, { layers: [unique], tag: 'latest' });
    await pushLayout(reg, dir, 'latest', 'test/tampered:latest');
    await tamperBlob(reg, unique.digest);
    const f = fetcherFor('test/tampered', { tag: 'latest' });
    await f.resolve();
    const { stream } = await f.openBlob(layerDesc(unique));
    await expect(readAll(stream, new DigestVerifier({ digest: unique.digest, size: unique.gz.length })))
      .rejects.toThrow(new RegExp(`digest mismatch for ${unique.digest}`));
    // a tampered config is caught by resolve() itself
    await tamperBlob(reg, img.configDigest);
    await expect(fetcherFor('test/tampered', { tag: 'latest' }).resolve()).rejects.toThrow(/digest mismatch/);
  });

  it('falls through a dead mirror to the primary', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const f = fetcherFor('test/single', { tag: 'v1' }, {
      endpoints: [endpoint(dead, 'test/single', { mirror: true }), endpoint(reg.host, 'test/single')], retries: 1,
    });
    const started = Date.now();
    const r = await f.resolve();
    console.log(`dead mirror fall-through took ${Date.now() - started} ms`);
    expect(r.manifestDigest).toBe(single.manifestDigest);
    const { stream } = await f.openBlob(layerDesc(small));
    expect((await readAll(stream)).equals(small.gz)).toBe(true);
  });

  it('falls through a mirror that lacks the image (404)', async () => {
    const f = fetcherFor('test/single', { tag: 'v1' }, {
      endpoints: [endpoint(reg.host, 'elsewhere/missing', { mirror: true }), endpoint(reg.host, 'test/single')],
    });
    expect((await f.resolve()).manifestDigest).toBe(single.manifestDigest);
  });

  it('retries 503 with backoff and then succeeds', async () => {
    let failures = 2;
    const proxy = await startProxy((_req, res, forward) => {
      if (failures-- > 0) res.writeHead(503).end();
      else forward();
    });
    try {
      const r = await fetcherFor('test/single', { tag: 'v1' }, { host: proxy.host, retries: 3, retryDelayMs: 50 }).resolve();
      expect(r.manifestDigest).toBe(single.manifestDigest);
      expect(proxy.requests[0]).toBe('GET /v2/');
      expect(proxy.requests.slice(0, 3)).toEqual(['GET /v2/', 'GET /v2/', 'GET /v2/']);
    } finally {
      await proxy.close();
    }
  });

  it('gives up after N tries when the server keeps answering 503', async () => {
    const proxy = await startProxy((_req, res) => { res.writeHead(503, 'Service Unavailable').end(); });
    try {
      const started = Date.now();
      const err = await failure(fetcherFor('test/single', { tag: 'v1' }, { host: proxy.host, retries: 2, retryDelayMs: 50 }).resolve());
      console.log(`503 forever with 2 retries took ${Date.now() - started} ms`);
      expect(err).toBeInstanceOf(RackerError);
      expect(err.message).toMatch(new RegExp(`${proxy.host} answered 503 Service Unavailable .*after 3 attempts`));
      expect(proxy.requests).toHaveLength(3);
    } finally {
      await proxy.close();
    }
  });

  it('honours Retry-After on 429', async () => {
    let first = true;
    const proxy = await startProxy((_req, res, forward) => {
      if (first) { first = false; res.writeHead(429, { 'retry-after': '1' }).end(); } else forward();
    });
    try {
      const started = Date.now();
      await fetcherFor('test/single', { tag: 'v1' }, { host: proxy.host, retryDelayMs: 10 }).resolve();
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    } finally {
      await proxy.close();
    }
  });

  it('does not retry 401/403 and suggests logging in', async () => {
    const proxy = await startProxy((req, res, forward) => {
      if (req.url === '/v2/') forward();
      else res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'DENIED', message: 'requested access to the resource is denied\u001b[31m' }] }));
    });
    try {
      const err = await failure(fetcherFor('test/single', { tag: 'v1' }, { host: proxy.host, retryDelayMs: 2000 }).resolve());
      expect(err.message).toMatch(/refused access .*403.*DENIED: requested access to the resource is denied/);
      expect(err.message).not.toContain('\u001b');
      expect(err.hint).toMatch(/log in\?/);
      expect(proxy.requests.filter(r => r.includes('/manifests/'))).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it('refuses hostile manifests: schema 1, oversized, and digests that would climb out of a path', async () => {
    const layerWithBadDigest = JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: single.configDigest, size: single.config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: 'sha256:../../x', size: 1 }],
    });
    const proxy = await startProxy((req, res, forward) => {
      if (req.url?.endsWith('/manifests/schema1')) {
        res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' })
          .end(JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'schema1', fsLayers: [] }));
      } else if (req.url?.endsWith('/manifests/huge')) {
        // 5 MiB without a Content-Length: the cap must stop the read
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let left = 80;
        const more = () => { while (left-- > 0) { if (!res.write(chunk)) { res.once('drain', more); return; } } res.end(); };
        res.on('error', () => undefined);
        more();
      } else if (req.url?.endsWith('/manifests/climb')) {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': single.manifestDigest }).end(layerWithBadDigest);
      } else {
        forward();
      }
    });
    try {
      await expect(fetcherFor('test/single', { tag: 'schema1' }, { host: proxy.host }).resolve()).rejects.toThrow(/unsupported manifest schema 1/);
      await expect(fetcherFor('test/single', { tag: 'huge' }, { host: proxy.host }).resolve()).rejects.toThrow(/larger than 4194304 bytes/);
      await expect(fetcherFor('test/single', { tag: 'climb' }, { host: proxy.host }).resolve()).rejects.toThrow(/invalid digest 'sha256:\.\.\/\.\.\/x'/);
      // and the lying Docker-Content-Digest header did not matter: a pull by digest checks the bytes
      await expect(fetcherFor('test/single', { digest: single.manifestDigest }, { host: proxy.host }).resolve()).resolves.toBeTruthy();
      const f = fetcherFor('test/single', { tag: 'v1' }, { host: proxy.host });
      await expect(f.openBlob({ ...layerDesc(small), digest: 'sha256:../../x' })).rejects.toThrow(/invalid digest/);
      expect(proxy.requests.some(r => r.includes('..'))).toBe(false);
    } finally {
      await proxy.close();
    }
  });

  it('a registry that is pinned to a verified TLS fails fast with a hint; tlsVerify=false falls back to plain HTTP', async () => {
    const started = Date.now();
    const strict = fetcherFor('test/single', { tag: 'v1' }, { tlsVerify: true, endpoints: [endpoint(reg.host, 'test/single', { insecure: false })] });
    const err = await failure(strict.resolve());
    expect(err.message).toMatch(new RegExp(`TLS handshake with ${reg.host} failed`));
    expect(err.hint).toMatch(/--tls-verify=false/);
    expect(Date.now() - started).toBeLessThan(1000);
    // insecure in registries.conf, TLS verification otherwise on: also falls back
    const viaConf = fetcherFor('test/single', { tag: 'v1' }, { tlsVerify: true, endpoints: [endpoint(reg.host, 'test/single', { insecure: true })] });
    expect((await viaConf.resolve()).manifestDigest).toBe(single.manifestDigest);
  });

  it('speaks TLS without verification when told to, and refuses an unknown certificate otherwise', async () => {
    const key = path.join(work, 'tls.key');
    const cert = path.join(work, 'tls.crt');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
    const proxy = await startProxy((_req, _res, forward) => forward(), { key: await readFile(key), cert: await readFile(cert) });
    try {
      const f = fetcherFor('test/single', { tag: 'v1' }, { host: proxy.host });
      expect((await f.resolve()).manifestDigest).toBe(single.manifestDigest);
      const { stream, startsAt } = await f.openBlob(layerDesc(big), 1000);
      expect(startsAt).toBe(1000);
      expect((await readAll(stream)).equals(big.gz.subarray(1000))).toBe(true);
      expect(proxy.requests.length).toBeGreaterThanOrEqual(3);

      const strict = fetcherFor('test/single', { tag: 'v1' }, { host: proxy.host, tlsVerify: true, endpoints: [endpoint(proxy.host, 'test/single', { insecure: false })] });
      const err = await failure(strict.resolve());
      expect(err.message).toMatch(new RegExp(`cannot verify the TLS certificate of ${proxy.host}`));
      expect(err.hint).toMatch(/certs\.d/);

      // NODE_EXTRA_CA_CERTS, as bin/racker hands it over (node itself never reads it): that CA is trusted too
      process.env[EXTRA_CA_ENV] = cert;
      try {
        const trusted = fetcherFor('test/single', { tag: 'v1' }, { host: proxy.host, tlsVerify: true, endpoints: [endpoint(proxy.host, 'test/single', { insecure: false })] });
        expect((await trusted.resolve()).manifestDigest).toBe(single.manifestDigest);
      } finally {
        delete process.env[EXTRA_CA_ENV];
      }
      // the CLI, end to end: the file given as NODE_EXTRA_CA_CERTS verifies the registry's certificate
      const store = await mkdtemp(path.join(tmpdir(), 'racker-test-extraca-'));
      try {
        const env = { NODE_EXTRA_CA_CERTS: cert };
        const pulled = await execa(RACKER, ['--root', store, 'pull', '-q', `${proxy.host}/test/single:v1`], { reject: false, stdin: 'ignore', env });
        expect(pulled.exitCode, pulled.stderr).toBe(0);
        expect(pulled.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
        // without it, into another store: refused
        const refused = await execa(RACKER, ['--root', path.join(store, 'other'), 'pull', '-q', `${proxy.host}/test/single:v1`], { reject: false, stdin: 'ignore', env: { NODE_EXTRA_CA_CERTS: '' } });
        expect([refused.exitCode, refused.stderr]).toEqual([125, expect.stringMatching(/cannot verify the TLS certificate/)]);
      } finally {
        await rm(store, { recursive: true, force: true });
      }
    } finally {
      await proxy.close();
    }
  });

  it('runs the bearer token dance once per scope, and renews a refused token', async () => {
    let valid = 'token-1';
    let issued = 0;
    const proxy = await startProxy((req, res, forward) => {
      if (req.url?.startsWith('/token')) {
        const q = new URL(req.url, 'http://x').searchParams;
        expect(q.get('scope')).toBe('repository:test/single:pull');
        expect(q.get('service')).toBe('test-registry');
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: valid }));
        issued++;
      } else if (req.headers.authorization === `Bearer ${valid}`) {
        forward();
      } else {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${req.headers.host}/token",service="test-registry",scope="repository:test/single:pull"` }).end();
      }
    });
    try {
      const f = fetcherFor('test/single', { tag: 'v1' }, { host: proxy.host });
      expect((await f.resolve()).manifestDigest).toBe(single.manifestDigest);
      await readAll((await f.openBlob(layerDesc(small))).stream);
      expect(issued).toBe(1);
      // the registry stops accepting the token: one 401, one new token, then success
      valid = 'token-2';
      await readAll((await f.openBlob(layerDesc(small))).stream);
      expect(issued).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('survives a registry restart between resolve and blob fetch', async () => {
    const f = fetcherFor('test/single', { tag: 'v1' });
    await f.resolve();
    await reg.restart();
    const { stream } = await f.openBlob(layerDesc(small));
    expect((await readAll(stream)).equals(small.gz)).toBe(true);
  });
});

/** A plain loopback server that records the Authorization header of every request. */
async function startRecorder(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ host: string; seen: { url: string; authorization?: string }[]; close(): Promise<void> }> {
  const seen: { url: string; authorization?: string }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    handler(req, res);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return {
    host: `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, seen,
    close: () => new Promise<void>(r => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

describe('credentials stay with their registry across redirects', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const basicAlice = `Basic ${b64('alice:s3cret')}`;

  /** A fetcher for test/single at `host` whose auth file holds alice's password for `host` only. */
  async function fetcherWithCreds(host: string) {
    const dir = await mkdtemp(path.join(work, 'auth-'));
    const file = path.join(dir, 'auth.json');
    await writeFile(file, JSON.stringify({ auths: { [host]: { auth: b64('alice:s3cret') } } }));
    return new RegistryFetcher({
      ref: { transport: 'docker', registry: host, repository: 'test/single', tag: 'v1' },
      endpoints: [endpoint(host, 'test/single')], tlsVerify: false, retries: 0, retryDelayMs: 20,
      env: { HOME: dir, REGISTRY_AUTH_FILE: file },
    });
  }

  /** Host B: serves the small layer to anyone, answers the big one with its own challenge of `scheme`. */
  function otherHost(scheme: 'Bearer' | 'Basic') {
    return startRecorder((req, res) => {
      if (req.url?.startsWith('/token')) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'tok-B' }));
      else if (req.url?.includes(small.digest)) res.writeHead(200, { 'content-length': String(small.gz.length) }).end(small.gz);
      else res.writeHead(401, { 'www-authenticate': scheme === 'Bearer' ? `Bearer realm="http://${req.headers.host}/token",service="b"` : 'Basic realm="b"' }).end();
    });
  }

  const layerRedirect = (req: IncomingMessage) => req.url?.includes(small.digest) || req.url?.includes(big.digest);

  it('bearer: A\'s token realm on a third host gets A\'s password; host B gets neither it nor A\'s token, even when B challenges', async () => {
    const realm = await startRecorder((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'tok-A' })); });
    const b = await otherHost('Bearer');
    const a = await startProxy((req, res, forward) => {
      if (req.headers.authorization !== 'Bearer tok-A') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${realm.host}/token",service="a"` }).end();
      } else if (layerRedirect(req)) {
        res.writeHead(307, { location: `http://${b.host}${req.url}` }).end();
      } else {
        forward();
      }
    });
    try {
      const f = await fetcherWithCreds(a.host);
      expect((await f.resolve()).manifestDigest).toBe(single.manifestDigest);
      // a redirect to B that B serves: A's token stays behind
      expect((await readAll((await f.openBlob(layerDesc(small))).stream)).equals(small.gz)).toBe(true);
      // B wants auth of its own: that is B's business, A's credentials do not answer it
      const err = await failure(f.openBlob(layerDesc(big)));
      // B was asked for the two layers, without credentials, and its token realm never
      expect(b.seen.map(s => [s.url, s.authorization])).toEqual([
        [`/v2/test/single/blobs/${small.digest}`, undefined], [`/v2/test/single/blobs/${big.digest}`, undefined],
      ]);
      expect(realm.seen.length).toBeGreaterThan(0);
      expect(realm.seen.every(s => s.authorization === basicAlice)).toBe(true);
      expect(err.message).toMatch(new RegExp(`${b.host} refused access to blob ${big.digest}: 401 Unauthorized \\(redirected there by ${a.host}\\)`));
      expect(err.hint).toMatch(new RegExp(`credentials for ${a.host} go only to ${a.host} and its token service`));
    } finally {
      await a.close();
      await b.close();
      await realm.close();
    }
  });

  it('basic: A\'s password never follows a redirect, and B\'s Basic challenge is not answered with it', async () => {
    const b = await otherHost('Basic');
    const a = await startProxy((req, res, forward) => {
      if (req.headers.authorization !== basicAlice) res.writeHead(401, { 'www-authenticate': 'Basic realm="a"' }).end();
      else if (layerRedirect(req)) res.writeHead(302, { location: `http://${b.host}${req.url}` }).end();
      else forward();
    });
    try {
      const f = await fetcherWithCreds(a.host);
      expect((await f.resolve()).manifestDigest).toBe(single.manifestDigest);
      expect((await readAll((await f.openBlob(layerDesc(small))).stream)).equals(small.gz)).toBe(true);
      const err = await failure(f.openBlob(layerDesc(big)));
      expect(b.seen).toHaveLength(2);
      expect(b.seen.every(s => s.authorization === undefined)).toBe(true);
      // A itself was asked once for the layer: no second round with a challenge that was B's
      expect(a.requests.filter(r => r.includes(big.digest))).toHaveLength(1);
      expect(err.message).toMatch(new RegExp(`${b.host} refused access to blob ${big.digest}: 401 Unauthorized \\(redirected there by ${a.host}\\)`));
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('a registry that trickles', () => {
  /** `p`, or a failure naming the wait when it takes longer than `ms` (the code before deadlines waited forever). */
  async function within<T>(ms: number, p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_r, reject) => { timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms); });
    try {
      return await Promise.race([p, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Send `body` in pieces of `bytes` every `everyMs`, stopping when the client goes away. */
  function dribble(res: ServerResponse, body: Buffer, bytes: number, everyMs: number) {
    let off = 0;
    const step = () => {
      if (res.destroyed) return;
      if (off >= body.length) { res.end(); return; }
      res.write(body.subarray(off, off + bytes));
      off += bytes;
      setTimeout(step, everyMs).unref();
    };
    step();
  }

  it('a manifest arriving one byte at a time fails at the fixed deadline, not never', async () => {
    const proxy = await startProxy((req, res, forward) => {
      if (!req.url?.includes('/manifests/')) { forward(); return; }
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(single.manifest.length) });
      dribble(res, single.manifest, 1, 300);
    });
    try {
      const f = new RegistryFetcher({
        ref: { transport: 'docker', registry: proxy.host, repository: 'test/single', tag: 'v1' },
        endpoints: [endpoint(proxy.host, 'test/single')], tlsVerify: false, retryDelayMs: 20, deadlineMs: 2000,
      });
      const started = Date.now();
      const err = await failure(within(15_000, f.resolve()));
      const took = Date.now() - started;
      expect(err.message).toMatch(new RegExp(`^${proxy.host} took more than 2 s to send manifest test/single:v1 \\(\\d+ bytes so far\\)$`));
      expect(err.hint).toMatch(/--registry-timeout SECONDS or RACKER_REGISTRY_TIMEOUT/);
      expect(took).toBeGreaterThanOrEqual(1900);
      expect(took).toBeLessThan(5000);
      expect(proxy.requests.filter(r => r.includes('/manifests/'))).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it('a blob has a minimum rate, not a fixed deadline: slower than it fails, longer but faster passes', async () => {
    let bytes = 0;
    const proxy = await startProxy((req, res, forward) => {
      if (!req.url?.includes(`/blobs/${big.digest}`)) { forward(); return; }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(big.gz.length) });
      dribble(res, big.gz, bytes, 100);
    });
    try {
      const f = new RegistryFetcher({
        ref: { transport: 'docker', registry: proxy.host, repository: 'test/single', tag: 'v1' },
        endpoints: [endpoint(proxy.host, 'test/single')], tlsVerify: false, retryDelayMs: 20,
        deadlineMs: 1000, minBlobBytesPerSec: 40 * 1024,
      });
      await f.resolve();
      // 160 KiB/s: about 1.6 s in all, past the 1 s deadline, but above the minimum rate
      bytes = 16 * 1024;
      let started = Date.now();
      expect((await within(15_000, readAll((await f.openBlob(layerDesc(big))).stream))).equals(big.gz)).toBe(true);
      expect(Date.now() - started).toBeGreaterThan(1000);
      // 10 KiB/s, under the 40 KiB/s minimum: fails after about 1.3 s instead of taking 26 s
      bytes = 1024;
      started = Date.now();
      const err = await failure(within(15_000, readAll((await f.openBlob(layerDesc(big))).stream)));
      const took = Date.now() - started;
      expect(err.message).toMatch(new RegExp(`^${proxy.host} sends blob ${big.digest} too slowly: \\d+ bytes in [\\d.]+ s, below the minimum of 40 KiB/s$`));
      expect(err.hint).toMatch(/--registry-min-rate KIB_PER_S or RACKER_REGISTRY_MIN_RATE/);
      expect((err as { code?: string }).code).toBe('ETOOSLOW');
      expect(took).toBeLessThan(5000);
    } finally {
      await proxy.close();
    }
  });
});
