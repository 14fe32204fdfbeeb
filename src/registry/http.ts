import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { RackerError } from '../errors.js';
import { TimeoutError, describeSubject, errCode, hostOf, networkError, readAtMost, statusError, type RequestSubject } from './http-errors.js';
import { guardBody, type Deadline } from './body-guard.js';
import { tlsForHost } from './certs-d.js';

export { HttpError, sanitize, type RequestSubject } from './http-errors.js';
import { debug, verbose } from '../log.js';

export interface HttpRequestOptions {
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  /** further tries after a transient failure (default 3) */
  retries?: number;
  /** first backoff delay; doubles per try, with jitter (default 500) */
  retryDelayMs?: number;
  /** until the response headers arrive (default 30 s) */
  timeoutMs?: number;
  /** longest wait for the next chunk of the body (default 60 s) */
  idleTimeoutMs?: number;
  /**
   * longest total wait for the whole answer, headers and body, per attempt
   * (default 60 s); only time spent waiting for the server counts
   */
  deadlineMs?: number;
  /**
   * for big bodies (blobs): every this many bytes received extend the
   * deadline by a second, so the body must arrive at least this fast on average
   */
  minBytesPerSec?: number;
  /** false: https without certificate verification (default true) */
  tlsVerify?: boolean;
  subject?: RequestSubject;
  /** statuses handed back to the caller instead of thrown (401 to run the auth dance) */
  passStatuses?: readonly number[];
}

export const DEFAULT_RETRIES = 3;
export const DEFAULT_RETRY_DELAY_MS = 500;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_DEADLINE_MS = 60_000;
/** what a blob must average, after the deadline's grace, unless told otherwise (10 KiB/s) */
export const DEFAULT_MIN_BLOB_RATE = 10 * 1024;
const MAX_BACKOFF_MS = 30_000;
/** a server asking for longer than this does not get to stall a pull */
const MAX_RETRY_AFTER_MS = 60_000;
const MAX_REDIRECTS = 10;

const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const RETRY_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
]);

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Exponential backoff with ±25 % jitter, so many clients do not retry in lockstep. */
export function backoffMs(attempt: number, baseMs: number): number {
  const exp = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** (attempt - 1));
  return Math.round(exp * (0.75 + Math.random() * 0.5));
}

/**
 * fetch() can neither skip certificate checks per request nor take CAs of
 * its own; node:https can do both (`tls`: rejectUnauthorized or ca). The
 * answer is wrapped in a WHATWG Response so callers see one type. Redirects
 * come back as they are: once() follows them.
 */
function nodeFetch(url: URL, init: { method: string; headers: Record<string, string>; signal: AbortSignal }, tls: { rejectUnauthorized?: false; ca?: string[]; cert?: string; key?: string }): Promise<Response> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, { method: init.method, headers: init.headers, signal: init.signal, ...tls }, res => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 599) {
        res.resume();
        reject(new Error(`unexpected status ${status} from ${url.host}`));
        return;
      }
      const headers = new Headers();
      for (const [k, v] of Object.entries(res.headers)) {
        if (v === undefined) continue;
        for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
      }
      const empty = init.method === 'HEAD' || status === 204 || status === 304 || REDIRECT_STATUSES.has(status);
      if (empty) res.resume();
      const body = empty ? null : Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>;
      resolve(new Response(body, { status, statusText: res.statusMessage, headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface Answer {
  res: Response;
  ctl: AbortController;
  /** where the answer came from, after redirects */
  url: string;
  /** the first host of another origin a redirect led to, if any */
  crossedFrom?: string;
}

/**
 * One attempt, following redirects here rather than in fetch(), so that what
 * a redirect did is known: the Authorization header never goes to another
 * origin (scheme, host or port), and the caller learns where the answer came from.
 */
async function once(url: string, method: string, headers: Record<string, string>, opts: HttpRequestOptions, timeoutMs: number): Promise<Answer> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new TimeoutError(`${hostOf(url)} did not answer within ${timeoutMs / 1000} s`)), timeoutMs);
  try {
    const first = new URL(url);
    let u = first;
    let m = method;
    let h = headers;
    for (let redirects = 0; ; redirects++) {
      // certs.d: extra CAs and a client certificate per host; a client certificate is sent even without verification
      const tls = u.protocol === 'https:' ? tlsForHost(u.host) : {};
      const own = tls.ca || tls.cert;
      const res = u.protocol === 'https:' && (opts.tlsVerify === false || own)
        ? await nodeFetch(u, { method: m, headers: h, signal: ctl.signal },
          opts.tlsVerify === false ? { rejectUnauthorized: false, cert: tls.cert, key: tls.key } : { ca: tls.ca, cert: tls.cert, key: tls.key })
        : await fetch(u, { method: m, headers: h, signal: ctl.signal, redirect: 'manual' });
      const location = res.headers.get('location');
      if (!REDIRECT_STATUSES.has(res.status) || !location) {
        return { res, ctl, url: u.toString(), crossedFrom: u.origin === first.origin ? undefined : first.host };
      }
      await res.body?.cancel().catch(() => undefined);
      if (redirects >= MAX_REDIRECTS) throw new Error(`too many redirects from ${first.host}`);
      const next = new URL(location, u);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new Error(`${u.host} redirected to a non-HTTP address`);
      if (next.origin !== u.origin) {
        h = { ...h };
        delete h.Authorization;
      }
      debug(`${u.host} redirects to ${next.host}${next.origin !== first.origin ? ' (no credentials sent there)' : ''}`);
      if (res.status === 303) m = 'GET';
      u = next;
    }
  } catch (err) {
    throw ctl.signal.aborted ? ctl.signal.reason : err;
  } finally {
    clearTimeout(timer);
  }
}

/** Does anything answer at `url` within `timeoutMs`, with any status? One try, racker's CA trust. */
export async function answers(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const a = await once(url, 'GET', {}, {}, timeoutMs);
    await a.res.body?.cancel().catch(() => undefined);
    return true;
  } catch {
    return false;
  }
}

/**
 * One HTTP request to a registry, with the retry policy of containers/common:
 * connection failures, timeouts, 429 and 502–504 are retried with backoff
 * (honouring Retry-After); 401, 403 and 404 fail at once. Any other non-2xx
 * status not listed in `passStatuses` becomes an HttpError naming host and status.
 * A 401 from a host a redirect led to is never passed: its challenge is not
 * the registry's, and the registry's credentials must not answer it.
 */
export async function request(url: string, opts: HttpRequestOptions = {}): Promise<Response> {
  const method = opts.method ?? 'GET';
  const retries = Math.max(0, opts.retries ?? DEFAULT_RETRIES);
  const baseDelay = Math.max(0, opts.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS);
  const deadlineMs = Math.max(1, opts.deadlineMs ?? DEFAULT_DEADLINE_MS);
  // undici would otherwise ask for gzip and transparently inflate: digests are over the raw bytes
  const headers = { 'Accept-Encoding': 'identity', ...opts.headers };
  const host = hostOf(url);
  for (let attempt = 1; ; attempt++) {
    debug(`${method} ${url}${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
    let answer: Answer;
    const started = Date.now();
    try {
      answer = await once(url, method, headers, opts, Math.min(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, deadlineMs));
    } catch (err) {
      const code = errCode(err);
      if (attempt <= retries && code !== undefined && RETRY_CODES.has(code)) {
        const wait = backoffMs(attempt, baseDelay);
        verbose(`${host}: ${code}; retrying in ${(wait / 1000).toFixed(1)} s (retry ${attempt} of ${retries})`);
        await sleep(wait);
        continue;
      }
      throw networkError(url, err, attempt);
    }
    const { res, ctl, crossedFrom } = answer;
    const passed = opts.passStatuses?.includes(res.status) && !(res.status === 401 && crossedFrom);
    if (res.ok || passed) {
      if (!res.body) return res;
      const deadline: Deadline = {
        ms: deadlineMs, minBytesPerSec: opts.minBytesPerSec, waitedMs: Date.now() - started, what: describeSubject(opts.subject, url),
      };
      return new Response(guardBody(res.body, ctl, opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, deadline, answer.url),
        { status: res.status, statusText: res.statusText, headers: res.headers });
    }
    if (RETRY_STATUSES.has(res.status) && attempt <= retries) {
      const asked = parseRetryAfter(res.headers.get('retry-after'));
      const wait = Math.max(backoffMs(attempt, baseDelay), Math.min(asked ?? 0, MAX_RETRY_AFTER_MS));
      await res.body?.cancel().catch(() => undefined);
      verbose(`${host}: ${res.status} ${res.statusText}; retrying in ${(wait / 1000).toFixed(1)} s (retry ${attempt} of ${retries})`);
      await sleep(wait);
      continue;
    }
    throw await statusError(answer.url, method, res, opts.subject, attempt, crossedFrom);
  }
}

/**
 * Read a whole body, refusing it as soon as it passes `max` bytes (a hostile
 * registry could send gigabytes as a "manifest").
 */
export async function readBodyCapped(res: Response, max: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length'));
  const tooBig = () => new RackerError(`${what} is larger than ${max} bytes; refusing it`, { hint: 'a manifest or config this big is not a real image' });
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw tooBig();
  }
  const { data, over } = await readAtMost(res, max);
  if (over) throw tooBig();
  return data;
}
