import { Readable } from 'node:stream';
import { registryApiHost } from '../image/reference.js';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { RackerError } from '../errors.js';
import { debug, verbose } from '../log.js';
import { shown } from '../untrusted.js';
import { digestOfBuffer, parseDigest, verifyBuffer } from '../image/digest.js';
import type { ImageFetcher, ResolvedImage } from '../image/fetcher.js';
import { MAX_MANIFEST_BYTES, MEDIA, hostPlatform, type Descriptor, type Platform } from '../image/oci.js';
import { descendToManifest, parseImageConfig, parseManifestDocument, type ManifestDocument } from '../image/oci-layout-fetcher.js';
import { RegistryAuth, parseWwwAuthenticate } from './auth.js';
import type { Policy } from './policy.js';
import { DEFAULT_MIN_BLOB_RATE, HttpError, readBodyCapped, request, type HttpRequestOptions, type RequestSubject } from './http.js';

/** What this fetcher reads of an image reference (src/image/reference.ts's DockerReference fits). */
export interface RegistryImageRef {
  transport: 'docker';
  /** host[:port] as the user named it: docker.io, 127.0.0.1:5000 */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** One place to pull from (src/image/registries-conf.ts's Endpoint fits). */
export interface RegistryEndpoint {
  registry: string;
  repository: string;
  insecure: boolean;
  mirror: boolean;
}

export interface RegistryFetcherOptions {
  ref: RegistryImageRef;
  /** tried in order: mirrors first, the primary last */
  endpoints: RegistryEndpoint[];
  /** false: skip certificate checks and allow plain HTTP everywhere */
  tlsVerify: boolean;
  platform?: Platform;
  retries?: number;
  retryDelayMs?: number;
  /** longest wait for one manifest, token or ping answer, and the grace before a blob's rate counts */
  deadlineMs?: number;
  /** the slowest average rate, bytes per second, at which a blob may arrive */
  minBlobBytesPerSec?: number;
  /** environment for auth file lookup (tests) */
  env?: NodeJS.ProcessEnv;
  /** the signature policy in force (undefined: none, accept) */
  policy?: Policy;
}

const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.dockerManifest].join(', ');
// the grammar of the distribution spec; anything else never reaches a URL
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const HOST = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;


/** One endpoint, with what was learned about it: which scheme it speaks and how it wants auth. */
class EndpointSession {
  base: string | undefined;
  /** the registry serves simple signatures at /extensions/v2/REPO/signatures/DIGEST */
  supportsSignatures = false;
  private probing: Promise<void> | undefined;
  readonly auth: RegistryAuth;
  readonly insecure: boolean;
  readonly scope: string;

  constructor(readonly endpoint: RegistryEndpoint, tlsVerify: boolean, private readonly http: Pick<HttpRequestOptions, 'retries' | 'retryDelayMs' | 'deadlineMs'>,
    private readonly minBlobRate: number, env?: NodeJS.ProcessEnv) {
    if (!HOST.test(endpoint.registry)) throw new RackerError(`invalid registry host '${endpoint.registry.slice(0, 80)}'`);
    if (!REPOSITORY.test(endpoint.repository)) throw new RackerError(`invalid repository name '${endpoint.repository.slice(0, 80)}'`);
    this.insecure = endpoint.insecure || !tlsVerify;
    this.scope = `repository:${endpoint.repository}:pull`;
    this.auth = new RegistryAuth({ registry: endpoint.registry, repository: endpoint.repository, tlsVerify: !this.insecure, env, ...http });
  }

  get name(): string {
    return this.endpoint.registry;
  }

  /** GET /v2/ once: learns the scheme (https, or http for an insecure registry without TLS) and the auth challenge. */
  probe(): Promise<void> {
    this.probing ??= this.doProbe();
    return this.probing;
  }

  private async doProbe(): Promise<void> {
    const host = registryApiHost(this.endpoint.registry === 'index.docker.io' ? 'docker.io' : this.endpoint.registry);
    const ping = (base: string) => request(`${base}/v2/`, {
      ...this.http, tlsVerify: !this.insecure, passStatuses: [401], subject: { kind: 'ping', name: `${host}/v2/` },
    });
    let base = `https://${host}`;
    let res: Response;
    try {
      res = await ping(base);
    } catch (err) {
      if (!(this.insecure && err instanceof HttpError && err.notTls)) throw err;
      verbose(`${host} does not speak TLS; using plain HTTP (insecure registry)`);
      base = `http://${host}`;
      res = await ping(base);
    }
    // OpenShift's registry (and others) keep simple signatures themselves and say so here
    this.supportsSignatures = res.headers.get('x-registry-supports-signatures') === '1';
    const challenges = res.status === 401 ? parseWwwAuthenticate(res.headers.get('www-authenticate') ?? '') : [];
    await res.body?.cancel().catch(() => undefined);
    this.auth.setChallenges(challenges);
    this.base = base;
    debug(`${host}: ${base}, auth ${challenges.map(c => c.scheme).join(', ') || 'none'}`);
  }

  /** An authorized GET under /v2/<repository>/; one fresh token is fetched when the registry refuses the current one. */
  async get(pathUnderRepo: string, subject: RequestSubject, extra: Record<string, string> = {}, pass: number[] = []): Promise<Response> {
    await this.probe();
    return this.getUrl(`${this.base}/v2/${this.endpoint.repository}/${pathUnderRepo}`, subject, extra, pass);
  }

  /** The simple signatures the registry keeps for a manifest (its signature extension). */
  async extensionSignatures(manifestDigest: string): Promise<Buffer[]> {
    await this.probe();
    if (!this.supportsSignatures) return [];
    const url = `${this.base}/extensions/v2/${this.endpoint.repository}/signatures/${manifestDigest}`;
    const res = await this.getUrl(url, { kind: 'manifest', name: `signatures of ${manifestDigest}` }, { Accept: 'application/json' }, [404]);
    if (res.status === 404) {
      await res.body?.cancel().catch(() => undefined);
      return [];
    }
    const body = await readBodyCapped(res, 16 * 1024 * 1024, `the signatures of ${manifestDigest} from ${this.name}`);
    let doc: { signatures?: { version?: unknown; type?: unknown; content?: unknown }[] };
    try { doc = JSON.parse(body.toString('utf8')) as typeof doc; } catch { throw new RackerError(`${this.name} sent signatures that are not JSON`); }
    return (Array.isArray(doc?.signatures) ? doc.signatures : [])
      .filter(x => x && x.version === 2 && x.type === 'atomic' && typeof x.content === 'string')
      .slice(0, 16)
      .map(x => Buffer.from(x.content as string, 'base64'));
  }

  private async getUrl(url: string, subject: RequestSubject, extra: Record<string, string>, pass: number[]): Promise<Response> {
    for (let round = 0; ; round++) {
      const headers = { ...extra };
      const authz = await this.auth.authorization(this.scope);
      if (authz) headers.Authorization = authz;
      const res = await request(url, {
        ...this.http, headers, subject, tlsVerify: !this.insecure, passStatuses: round === 0 ? [401, ...pass] : pass,
        minBytesPerSec: subject.kind === 'blob' ? this.minBlobRate : undefined,
      });
      if (res.status !== 401 || round > 0) return res;
      const challenges = parseWwwAuthenticate(res.headers.get('www-authenticate') ?? '');
      await res.body?.cancel().catch(() => undefined);
      this.auth.invalidate(this.scope, challenges);
    }
  }
}

/** Pulls from a registry speaking the OCI distribution API, through mirrors when configured. */
export class RegistryFetcher implements ImageFetcher {
  readonly description: string;
  private readonly ref: RegistryImageRef;
  private readonly sessions: EndpointSession[];
  private readonly platform: Platform;
  private readonly policy?: Policy;
  private readonly env?: NodeJS.ProcessEnv;
  private readonly tlsVerify: boolean;
  /** the endpoint that served the manifest serves the blobs first */
  private chosen = 0;

  constructor(opts: RegistryFetcherOptions) {
    const { ref } = opts;
    if (ref.tag !== undefined && !TAG.test(ref.tag)) throw new RackerError(`invalid tag '${ref.tag.slice(0, 80)}'`);
    if (ref.digest !== undefined) parseDigest(ref.digest);
    if (!opts.endpoints.length) throw new RackerError(`no registry endpoint for ${ref.registry}/${ref.repository}`);
    this.ref = ref;
    this.platform = opts.platform ?? hostPlatform();
    this.policy = opts.policy;
    this.env = opts.env;
    this.tlsVerify = opts.tlsVerify;
    const http = { retries: opts.retries, retryDelayMs: opts.retryDelayMs, deadlineMs: opts.deadlineMs };
    const minBlobRate = opts.minBlobBytesPerSec ?? DEFAULT_MIN_BLOB_RATE;
    this.sessions = opts.endpoints.map(e => new EndpointSession(e, opts.tlsVerify, http, minBlobRate, opts.env));
    this.description = `docker://${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
  }

  /** Try each endpoint from `first` on, falling through to the next when one fails. */
  private async withFallback<T>(first: number, what: string, fn: (s: EndpointSession) => Promise<T>): Promise<{ value: T; index: number }> {
    for (let i = first; ; i++) {
      const s = this.sessions[i];
      try {
        return { value: await fn(s), index: i };
      } catch (err) {
        const next = this.sessions[i + 1];
        if (!next) throw err;
        verbose(`${s.endpoint.mirror ? 'mirror ' : ''}${s.name} failed for ${what} (${(err as Error).message}); trying ${next.name}`);
      }
    }
  }

  private async fetchDocument(s: EndpointSession, reference: string, expected?: { digest: string; size?: number }): Promise<{ doc: ManifestDocument; bytes: Buffer; digest: string }> {
    const name = `${s.endpoint.repository}${reference.includes(':') ? '@' : ':'}${reference}`;
    const res = await s.get(`manifests/${reference}`, { kind: 'manifest', name }, { Accept: MANIFEST_ACCEPT });
    const bytes = await readBodyCapped(res, MAX_MANIFEST_BYTES, `the manifest ${name} from ${s.name}`);
    // Docker-Content-Digest is the server's claim; only the bytes count
    let digest = digestOfBuffer(bytes);
    if (expected) {
      verifyBuffer(bytes, expected.digest, expected.size);
      digest = expected.digest;
    }
    const claimed = res.headers.get('docker-content-digest');
    if (claimed && claimed !== digest) debug(`${s.name} claims ${shown(claimed, 80)} for ${name}; the bytes say ${digest}`);
    return { doc: parseManifestDocument(bytes, `${s.name}/${name}`, res.headers.get('content-type') ?? undefined), bytes, digest };
  }

  private async fetchSmallBlob(s: EndpointSession, desc: Descriptor): Promise<Buffer> {
    parseDigest(desc.digest);
    const res = await s.get(`blobs/${desc.digest}`, { kind: 'blob', name: desc.digest });
    const bytes = await readBodyCapped(res, MAX_MANIFEST_BYTES, `blob ${desc.digest} from ${s.name}`);
    verifyBuffer(bytes, desc.digest, desc.size);
    return bytes;
  }

  private async resolveAt(s: EndpointSession): Promise<ResolvedImage> {
    const reference = this.ref.digest ?? this.ref.tag ?? 'latest';
    const top = await this.fetchDocument(s, reference, this.ref.digest ? { digest: this.ref.digest } : undefined);
    const { manifest, bytes } = await descendToManifest(top,
      d => this.fetchDocument(s, d.digest, { digest: d.digest, size: d.size }), this.platform, this.description);
    const configBytes = await this.fetchSmallBlob(s, manifest.config);
    return {
      manifestDigest: top.digest,
      manifest,
      manifestBytes: bytes,
      configDigest: manifest.config.digest,
      config: parseImageConfig(configBytes, this.description),
      configBytes,
    };
  }

  async resolve(): Promise<ResolvedImage> {
    const { value, index } = await this.withFallback(0, 'the manifest', s => this.resolveAt(s));
    this.chosen = index;
    if (this.policy) await this.enforce(this.policy, this.sessions[index], value.manifestDigest);
    return value;
  }

  /** The signature policy, checked before a single blob is fetched or stored. */
  private async enforce(policy: Policy, s: EndpointSession, manifestDigest: string): Promise<void> {
    const { enforcePolicy } = await import('./signatures.js');
    const { lookasideBase, lookasideSignatures } = await import('./lookaside.js');
    const name = `${this.ref.registry}/${this.ref.repository}`;
    await enforcePolicy(policy, 'docker', {
      name, tag: this.ref.tag, digest: this.ref.digest, manifestDigest,
      // the lookaside store when registries.d names one, else the registry's own signature extension
      simpleSignatures: async () => (await lookasideBase(name, this.env))
        ? lookasideSignatures(name, manifestDigest, { tlsVerify: this.tlsVerify, env: this.env })
        : s.extensionSignatures(manifestDigest),
      sigstoreSignatures: () => this.sigstoreSignatures(s, manifestDigest),
    });
  }

  /** cosign's signatures of a manifest: the `sha256-HEX.sig` tag, one layer per signature (payload blob, signature annotation). */
  private async sigstoreSignatures(s: EndpointSession, manifestDigest: string): Promise<{ payload: Buffer; signature: string }[]> {
    const tag = `${manifestDigest.replace(':', '-')}.sig`;
    const res = await s.get(`manifests/${tag}`, { kind: 'manifest', name: `${s.endpoint.repository}:${tag}` }, { Accept: [MEDIA.ociManifest, MEDIA.dockerManifest].join(', ') }, [404]);
    if (res.status === 404) {
      await res.body?.cancel().catch(() => undefined);
      return [];
    }
    const bytes = await readBodyCapped(res, MAX_MANIFEST_BYTES, `the signature manifest ${tag} from ${s.name}`);
    let doc: { layers?: { digest?: unknown; size?: unknown; annotations?: Record<string, unknown> }[] };
    try { doc = JSON.parse(bytes.toString('utf8')) as typeof doc; } catch { throw new RackerError(`the signature manifest ${tag} from ${s.name} is not JSON`); }
    const out: { payload: Buffer; signature: string }[] = [];
    // a hostile registry's document: only well-formed layer entries count
    const layers = Array.isArray(doc?.layers) ? doc.layers.filter(l => l && typeof l === 'object') : [];
    for (const layer of layers.slice(0, 16)) {
      const annotations = layer.annotations && typeof layer.annotations === 'object' ? layer.annotations : {};
      const signature = annotations['dev.cosignproject.cosign/signature'];
      if (typeof signature !== 'string' || typeof layer.digest !== 'string') continue;
      const payload = await this.fetchSmallBlob(s, { mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: layer.digest, size: typeof layer.size === 'number' ? layer.size : undefined } as Descriptor);
      out.push({ payload, signature });
    }
    return out;
  }

  async openBlob(desc: Descriptor, offset = 0): Promise<{ stream: Readable; startsAt: number }> {
    parseDigest(desc.digest);
    const { value } = await this.withFallback(this.chosen, `blob ${desc.digest}`, s => this.openBlobAt(s, desc, offset));
    return value;
  }

  private async openBlobAt(s: EndpointSession, desc: Descriptor, offset: number): Promise<{ stream: Readable; startsAt: number }> {
    const subject: RequestSubject = { kind: 'blob', name: desc.digest };
    let res: Response;
    let startsAt = 0;
    if (offset > 0) {
      res = await s.get(`blobs/${desc.digest}`, subject, { Range: `bytes=${offset}-` }, [416]);
      if (res.status === 206) {
        const m = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
        if (!m || Number(m[1]) !== offset) {
          await res.body?.cancel().catch(() => undefined);
          throw new RackerError(`${s.name} answered a range request for ${desc.digest} with the wrong range (${shown(res.headers.get('content-range') ?? 'none', 80)})`);
        }
        startsAt = offset;
      } else if (res.status === 416) {
        // the offset is past what the server has: start over
        await res.body?.cancel().catch(() => undefined);
        res = await s.get(`blobs/${desc.digest}`, subject);
      }
    } else {
      res = await s.get(`blobs/${desc.digest}`, subject);
    }
    const stream = res.body ? Readable.fromWeb(res.body as unknown as NodeReadableStream<Uint8Array>) : Readable.from([]);
    return { stream, startsAt };
  }
}
