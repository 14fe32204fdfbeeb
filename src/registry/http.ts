import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { RackerError } from '../errors.js';
import { debug, verbose } from '../log.js';

/** What a request is for; shapes the error message (404 of a manifest is "manifest unknown"). */
export interface RequestSubject {
  kind: 'manifest' | 'blob' | 'token' | 'ping';
  /** 'fixtures/busybox:latest', a digest, … */
  name?: string;
}

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
const CERT_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT/;

/** A failed request: either no answer (`code`) or an unwanted status (`status`). */
export class HttpError extends RackerError {
  readonly url: string;
  readonly status?: number;
  /** errno-like code for failures without an answer (ECONNREFUSED, ETIMEDOUT, EPROTO, …) */
  readonly code?: string;
  readonly attempts: number;

  constructor(message: string, opts: { url: string; status?: number; code?: string; attempts?: number; hint?: string; cause?: unknown }) {
    super(message, { hint: opts.hint, cause: opts.cause });
    this.name = 'HttpError';
    this.url = opts.url;
    this.status = opts.status;
    this.code = opts.code;
    this.attempts = opts.attempts ?? 1;
  }

  /** true when the server answered, but not in TLS (a plain-HTTP registry) */
  get notTls(): boolean {
    return this.code !== undefined && (this.code === 'EPROTO' || this.code.startsWith('ERR_SSL_'));
  }
}

function errCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  return undefined;
}

/** Registry texts end up on the terminal: no control characters, no novels. */
export function sanitize(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

function hostOf(url: string): string {
  return new URL(url).host;
}

function describeSubject(s: RequestSubject | undefined, url: string): string {
  if (!s) return new URL(url).pathname;
  return s.name ? `${s.kind} ${s.name}` : s.kind;
}

/** An error for a request that got no usable answer at all. */
function networkError(url: string, err: unknown, attempts: number): HttpError {
  if (err instanceof HttpError) return err;
  const host = hostOf(url);
  const code = errCode(err) ?? 'EUNKNOWN';
  const detail = sanitize(((err as { cause?: { message?: string } })?.cause?.message ?? (err as Error)?.message ?? String(err)));
  const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_')) {
    // OpenSSL's text is "…:SSL routines:ssl3_get_record:wrong version number:../ssl3_record.c:350:"
    const reason = /SSL routines:[^:]*:([^:]+)/.exec(detail)?.[1] ?? detail;
    return new HttpError(`TLS handshake with ${host} failed: ${reason}`, {
      url, code, attempts, cause: err,
      hint: 'the registry may speak plain HTTP: use --tls-verify=false or mark it insecure in registries.conf',
    });
  }
  if (CERT_CODES.test(code)) {
    return new HttpError(`cannot verify the TLS certificate of ${host}: ${code}`, {
      url, code, attempts, cause: err,
      hint: `install its CA under /etc/containers/certs.d/${host}/, or use --tls-verify=false`,
    });
  }
  if (code === 'ECONNREFUSED') {
    return new HttpError(`cannot connect to ${host}: connection refused${tries}`, { url, code, attempts, cause: err, hint: 'is the registry running, and is the address right?' });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new HttpError(`cannot resolve ${new URL(url).hostname}${tries}`, { url, code, attempts, cause: err, hint: 'check the registry name and your DNS' });
  }
  if (err instanceof TimeoutError) return new HttpError(`${err.message}${tries}`, { url, code, attempts, cause: err });
  const why = code === 'EUNKNOWN' ? detail : `${code}${detail && !detail.includes(code) ? ` (${detail})` : ''}`;
  return new HttpError(`request to ${host} failed: ${why}${tries}`, { url, code, attempts, cause: err });
}

/** The registry's own words for a failure ({"errors":[{"code","message"}]}), when it sent some. */
async function registryErrorText(res: Response): Promise<string | undefined> {
  try {
    const text = await readTextCapped(res, 64 * 1024);
    const body = JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] };
    const first = body.errors?.[0];
    if (!first) return undefined;
    return sanitize([first.code, first.message].filter(x => typeof x === 'string' && x).join(': '));
  } catch {
    return undefined;
  }
}

async function readTextCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
    if (total >= max) { await reader.cancel(); break; }
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** An error for an answer with an unwanted status. */
async function statusError(url: string, method: string, res: Response, subject: RequestSubject | undefined, attempts: number, from?: string): Promise<HttpError> {
  const host = hostOf(url);
  const said = await registryErrorText(res);
  const what = describeSubject(subject, url);
  const suffix = said ? ` (${said})` : '';
  const opts = { url, status: res.status, attempts };
  if (res.status === 404 && subject?.kind === 'manifest') {
    return new HttpError(`manifest unknown: ${host} has no ${subject.name ?? 'such manifest'}${suffix}`, { ...opts, hint: 'check the name and tag' });
  }
  if (res.status === 404 && subject?.kind === 'blob') {
    return new HttpError(`blob unknown: ${host} has no blob ${subject.name ?? ''}${suffix}`.replace(/ +\(/, ' ('), opts);
  }
  if ((res.status === 401 || res.status === 403) && from) {
    return new HttpError(`${host} refused access to ${what}: ${res.status} ${res.status === 401 ? 'Unauthorized' : 'Forbidden'} (redirected there by ${from})${suffix}`, {
      ...opts, hint: `credentials for ${from} go only to ${from} and its token service, never to a host it redirects to`,
    });
  }
  if (res.status === 401 || res.status === 403) {
    return new HttpError(`${host} refused access to ${what}: ${res.status} ${res.status === 401 ? 'Unauthorized' : 'Forbidden'}${suffix}`, {
      ...opts, hint: `log in? (credentials come from $REGISTRY_AUTH_FILE, containers/auth.json or ~/.docker/config.json for ${host})`,
    });
  }
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  const statusText = sanitize(res.statusText ?? '', 60);
  return new HttpError(`${host} answered ${res.status}${statusText ? ` ${statusText}` : ''} for ${method} ${what}${tries}${suffix}`, opts);
}

/** Seconds or an HTTP date, in milliseconds from now; undefined when absent or nonsense. */
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

class TimeoutError extends Error {
  readonly code: string = 'ETIMEDOUT';
}

/** The answer took longer than its deadline: final, neither retried nor resumed. */
class DeadlineError extends TimeoutError {
  override readonly code = 'ETOOSLOW';
  constructor(message: string, readonly hint: string) {
    super(message);
  }
}

/**
 * fetch() cannot skip certificate checks per request; node:https can. The
 * answer is wrapped in a WHATWG Response so callers see one type. Redirects
 * come back as they are: once() follows them.
 */
function insecureFetch(url: URL, init: { method: string; headers: Record<string, string>; signal: AbortSignal }): Promise<Response> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, { method: init.method, headers: init.headers, signal: init.signal, rejectUnauthorized: false }, res => {
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

/** How long the server may keep us waiting for one answer. */
interface Deadline {
  ms: number;
  minBytesPerSec?: number;
  /** time already spent waiting for the headers */
  waitedMs: number;
  what: string;
}

/** The deadline's verdict once `waitedMs` ran out with `received` bytes in. */
function deadlineError(d: Deadline, host: string, received: number, waitedMs: number): DeadlineError {
  const secs = (waitedMs / 1000).toFixed(1);
  if (d.minBytesPerSec) {
    return new DeadlineError(`${host} sends ${d.what} too slowly: ${received} bytes in ${secs} s, below the minimum of ${d.minBytesPerSec / 1024} KiB/s`,
      'accept slower registries with --registry-min-rate KIB_PER_S or RACKER_REGISTRY_MIN_RATE');
  }
  return new DeadlineError(`${host} took more than ${d.ms / 1000} s to send ${d.what} (${received} bytes so far)`,
    'wait longer with --registry-timeout SECONDS or RACKER_REGISTRY_TIMEOUT');
}

/**
 * Pass the body through, failing it when the network goes quiet for too long
 * or the whole answer takes longer than its deadline (both clocks only run
 * while the reader waits, so a slow consumer does not count against the
 * server) and turning socket errors into RackerErrors that name the host.
 */
function guardBody(body: ReadableStream<Uint8Array>, ctl: AbortController, idleMs: number, deadline: Deadline, url: string): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const host = hostOf(url);
  let timer: NodeJS.Timeout | undefined;
  let received = 0;
  let waited = deadline.waitedMs;
  return new ReadableStream<Uint8Array>({
    async pull(out) {
      const budget = deadline.ms + (deadline.minBytesPerSec ? received * 1000 / deadline.minBytesPerSec : 0);
      const left = Math.max(0, budget - waited);
      const started = Date.now();
      timer = left < idleMs
        ? setTimeout(() => ctl.abort(deadlineError(deadline, host, received, waited + Date.now() - started)), left)
        : setTimeout(() => ctl.abort(new TimeoutError(`no data from ${host} for ${idleMs / 1000} s`)), idleMs);
      timer.unref();
      try {
        const { done, value } = await reader.read();
        clearTimeout(timer);
        waited += Date.now() - started;
        if (done) {
          out.close();
        } else {
          received += value.length;
          out.enqueue(value);
        }
      } catch (err) {
        clearTimeout(timer);
        const reason = ctl.signal.aborted ? ctl.signal.reason : err;
        out.error(reason instanceof DeadlineError
          ? new HttpError(reason.message, { url, code: reason.code, cause: reason, hint: reason.hint })
          : reason instanceof TimeoutError
            ? new HttpError(`reading from ${host} timed out: ${reason.message}`, { url, code: 'ETIMEDOUT', cause: reason })
            : networkError(url, reason, 1));
      }
    },
    cancel(reason) {
      clearTimeout(timer);
      return reader.cancel(reason);
    },
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
      const res = opts.tlsVerify === false && u.protocol === 'https:'
        ? await insecureFetch(u, { method: m, headers: h, signal: ctl.signal })
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
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw tooBig();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
