import { RackerError } from '../errors.js';

/**
 * How a registry request failed, in words a person can act on: the error type
 * racker's registry code throws, and the messages for no answer or an unwanted
 * status. http.ts makes the requests.
 */

/** What a request is for; shapes the error message (404 of a manifest is "manifest unknown"). */
export interface RequestSubject {
  kind: 'manifest' | 'blob' | 'token' | 'ping';
  /** 'fixtures/busybox:latest', a digest, … */
  name?: string;
}

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

export function errCode(err: unknown): string | undefined {
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

export function hostOf(url: string): string {
  return new URL(url).host;
}

export function describeSubject(s: RequestSubject | undefined, url: string): string {
  if (!s) return new URL(url).pathname;
  return s.name ? `${s.kind} ${s.name}` : s.kind;
}

/** An error for a request that got no usable answer at all. */
export function networkError(url: string, err: unknown, attempts: number): HttpError {
  if (err instanceof HttpError) return err;
  const host = hostOf(url);
  const code = errCode(err) ?? 'EUNKNOWN';
  const detail = sanitize(((err as { cause?: { message?: string } })?.cause?.message ?? (err as Error)?.message ?? String(err)));
  const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
  if (/CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA/.test(code) || /alert (certificate required|bad certificate|unknown ca)/.test(detail)) {
    return new HttpError(`${host} refused the TLS connection: it wants a client certificate it trusts`, {
      url, code, attempts, cause: err,
      hint: `put the client certificate and key in /etc/containers/certs.d/${host}/client.cert and client.key (containers-certs.d(5))`,
    });
  }
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
      hint: `put its CA in /etc/containers/certs.d/${host}/ca.crt (containers-certs.d(5)), or use --tls-verify=false`,
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
    const text = (await readAtMost(res, 64 * 1024)).data.toString('utf8');
    const body = JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] };
    const first = body.errors?.[0];
    if (!first) return undefined;
    return sanitize([first.code, first.message].filter(x => typeof x === 'string' && x).join(': '));
  } catch {
    return undefined;
  }
}

/**
 * A body up to the first chunk that takes it past `max` bytes, the rest
 * cancelled: `over` says there was more than `max`.
 */
export async function readAtMost(res: Response, max: number): Promise<{ data: Buffer; over: boolean }> {
  if (!res.body) return { data: Buffer.alloc(0), over: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { data: Buffer.concat(chunks), over: false };
    chunks.push(value);
    total += value.length;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      return { data: Buffer.concat(chunks), over: true };
    }
  }
}

/** An error for an answer with an unwanted status. */
export async function statusError(url: string, method: string, res: Response, subject: RequestSubject | undefined, attempts: number, from?: string): Promise<HttpError> {
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

/** No answer in time: retried like a dropped connection. */
export class TimeoutError extends Error {
  readonly code: string = 'ETIMEDOUT';
}

/** The answer took longer than its deadline: final, neither retried nor resumed. */
export class DeadlineError extends TimeoutError {
  override readonly code = 'ETOOSLOW';
  constructor(message: string, readonly hint: string) {
    super(message);
  }
}
