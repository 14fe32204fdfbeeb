import { RackerError } from '../errors.js';
import { debug, verbose } from '../log.js';
import { RegistryAuth, parseWwwAuthenticate, type Credentials } from './auth.js';
import { HttpError, request, sanitize } from './http.js';

/**
 * `login`'s check: do these credentials open the registry? The same dance a
 * pull does (GET /v2/, then a token from the realm the challenge names, or
 * Basic), without a repository scope. Nothing here prints or keeps the password.
 */

export interface LoginCheck {
  /** host[:port] the credentials are for (`docker.io` is asked at registry-1.docker.io) */
  registry: string;
  apiHost: string;
  credentials: Credentials;
  /** false: no certificate checks, plain HTTP allowed (--tls-verify=false or insecure in registries.conf) */
  tlsVerify: boolean;
  deadlineMs?: number;
}

const HOST = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

function refused(registry: string, why: string): RackerError {
  return new RackerError(`login to ${registry} failed: ${why}`, { hint: 'check the user name and password' });
}

/** Resolves when the registry accepts the credentials; throws one clear error when it does not. */
export async function checkLogin(opts: LoginCheck): Promise<void> {
  const { registry, apiHost, credentials } = opts;
  if (!HOST.test(apiHost)) throw new RackerError(`invalid registry '${sanitize(registry, 80)}'`, { hint: 'give a registry host, e.g. ghcr.io or 127.0.0.1:5000' });
  const http = { tlsVerify: opts.tlsVerify, retries: 1, deadlineMs: opts.deadlineMs };
  const ping = (base: string, headers: Record<string, string> = {}) =>
    request(`${base}/v2/`, { ...http, headers, passStatuses: [401], subject: { kind: 'ping', name: `${apiHost}/v2/` } });
  let base = `https://${apiHost}`;
  let res: Response;
  try {
    res = await ping(base);
  } catch (err) {
    if (!(!opts.tlsVerify && err instanceof HttpError && err.notTls)) throw err;
    verbose(`${apiHost} does not speak TLS; using plain HTTP (insecure registry)`);
    base = `http://${apiHost}`;
    res = await ping(base);
  }
  await res.body?.cancel().catch(() => undefined);
  if (res.status !== 401) {
    debug(`${apiHost} asks for no credentials; storing them anyway, as docker does`);
    return;
  }
  if (base.startsWith('http:')) {
    // the user said so (--tls-verify=false / insecure), but say what it means
    verbose(`${registry}: the password goes over plain HTTP`);
  }
  const challenges = parseWwwAuthenticate(res.headers.get('www-authenticate') ?? '');
  const bearer = challenges.find(c => c.scheme === 'bearer');
  if (bearer) {
    let realm: URL | undefined;
    try { realm = new URL(bearer.params.realm ?? ''); } catch { realm = undefined; }
    if (!realm || (realm.protocol !== 'https:' && realm.protocol !== 'http:')) throw new RackerError(`${registry} sent an unusable auth realm '${sanitize(bearer.params.realm ?? '', 80)}'`);
    if (realm.protocol === 'http:' && opts.tlsVerify) {
      throw new RackerError(`${registry} asks for the password at ${sanitize(realm.host, 80)} over plain HTTP; not sending it`, {
        hint: 'a registry reached over TLS must name a token service over TLS (use --tls-verify=false only for a registry you trust on a trusted network)',
      });
    }
  } else if (!challenges.some(c => c.scheme === 'basic')) {
    throw new RackerError(`${registry} asks for a kind of login racker does not speak (${sanitize(challenges.map(c => c.scheme).join(', ') || 'no challenge', 60)})`);
  }
  const auth = new RegistryAuth({ registry, tlsVerify: opts.tlsVerify, credentials, retries: 1, deadlineMs: opts.deadlineMs });
  auth.setChallenges(challenges);
  let authorization: string | undefined;
  try {
    authorization = await auth.authorization('');
  } catch (err) {
    if (err instanceof HttpError && (err.status === 401 || err.status === 403)) throw refused(registry, `the token service answered ${err.status}`);
    throw err;
  }
  const again = await ping(base, authorization ? { Authorization: authorization } : {});
  await again.body?.cancel().catch(() => undefined);
  if (again.status === 401) throw refused(registry, `${apiHost} answered 401 Unauthorized`);
}
