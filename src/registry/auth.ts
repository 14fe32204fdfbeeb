import { lstat, open } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { RackerError, isErrno } from '../errors.js';
import { debug, warn } from '../log.js';
import { readBodyCapped, request, sanitize } from './http.js';
import { helperGet } from './cred-helper.js';

/** One challenge of a WWW-Authenticate header: `Bearer realm="…",service="…"`. */
export interface AuthChallenge {
  /** lowercase: 'bearer', 'basic', … */
  scheme: string;
  /** parameter names lowercased */
  params: Record<string, string>;
}

export interface Credentials {
  username: string;
  password: string;
}

/**
 * Parse a WWW-Authenticate header (RFC 7235), which may hold several
 * challenges: `Basic realm="x", Bearer realm="y",scope="a,b"`.
 */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  let i = 0;
  const skip = (re: RegExp) => { while (i < header.length && re.test(header[i])) i++; };
  const token = () => { const m = /^[!#$%&'*+.^_`|~\w-]+/.exec(header.slice(i)); if (m) i += m[0].length; return m?.[0]; };
  let current: AuthChallenge | undefined;
  while (i < header.length) {
    skip(/[\s,]/);
    const word = token();
    if (!word) { i++; continue; }
    skip(/\s/);
    if (header[i] === '=' && current && !/^=+\s*(,|$)/.test(header.slice(i))) {
      // a parameter of the current challenge
      i++;
      skip(/\s/);
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < header.length && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < header.length) i++;
          value += header[i++];
        }
        i++;
      } else {
        value = token() ?? '';
      }
      current.params[word.toLowerCase()] = value;
      continue;
    }
    if (header[i] === '=') {
      // token68 (`Negotiate abc==`): belongs to the challenge, not a parameter we use
      skip(/=/);
      continue;
    }
    current = { scheme: word.toLowerCase(), params: {} };
    out.push(current);
  }
  return out;
}

/** Where credentials are looked up, in containers-auth.json(5) order, then Docker's file. */
export function authFileCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.HOME || homedir();
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) files.push(path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  files.push(path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'containers', 'auth.json'));
  files.push(path.join(env.DOCKER_CONFIG || path.join(home, '.docker'), 'config.json'));
  return files;
}

const MAX_AUTH_FILE_BYTES = 1024 * 1024;

/** A file holding passwords should be the user's own and private: say so when it is not. */
async function warnIfExposed(file: string): Promise<void> {
  const link = await lstat(file).catch(() => undefined);
  if (link?.isSymbolicLink()) warn(`${file} is a symbolic link: credentials are read from wherever it points`);
}

async function readSmallFile(file: string): Promise<string | undefined> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
    warn(`cannot read ${file}: ${(err as Error).message}`);
    return undefined;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > MAX_AUTH_FILE_BYTES) {
      warn(`ignoring ${file}: not a regular file of at most 1 MiB`);
      return undefined;
    }
    await warnIfExposed(file);
    if (st.mode & 0o007) warn(`${file} is readable by every user of this host (mode ${(st.mode & 0o777).toString(8)}): chmod 600 ${file}`);
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

/** `https://index.docker.io/v1/` and `docker.io` name the same thing; so do `host:5000/` and `host:5000`. */
export function normalizeAuthKey(key: string): string {
  let k = key.trim().replace(/^https?:\/\//, '').replace(/\/+$/, '').replace(/\/v[12]$/, '');
  const [host, ...rest] = k.split('/');
  const h = host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
  k = [h, ...rest].join('/');
  return k;
}

/** `registry/a/b` → [`registry/a/b`, `registry/a`, `registry`]: the most specific entry wins. */
function lookupKeys(registry: string, repository?: string): string[] {
  const reg = normalizeAuthKey(registry);
  const keys: string[] = [];
  if (repository) {
    const parts = repository.split('/');
    for (let n = parts.length; n > 0; n--) keys.push(`${reg}/${parts.slice(0, n).join('/')}`);
  }
  keys.push(reg);
  return keys;
}

interface AuthEntry { auth?: unknown; username?: unknown; password?: unknown }

function decodeEntry(entry: AuthEntry, key: string, file: string): Credentials | undefined {
  if (typeof entry.username === 'string' && typeof entry.password === 'string' && entry.username) {
    return { username: entry.username, password: entry.password };
  }
  if (typeof entry.auth !== 'string' || !entry.auth) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) {
    warn(`ignoring the entry for ${key} in ${file}: its "auth" field is not base64 of user:password`);
    return undefined;
  }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Credentials for a registry (and repository) from the first auth file that
 * has an entry for it. Credential helpers are not run; an entry that only
 * names one is reported under --debug.
 */
export async function findCredentials(registry: string, repository?: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  const wanted = lookupKeys(registry, repository);
  for (const file of authFileCandidates(env)) {
    const text = await readSmallFile(file);
    if (text === undefined) continue;
    let parsed: { auths?: Record<string, AuthEntry>; credHelpers?: Record<string, string>; credsStore?: string };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      warn(`ignoring ${file}: not valid JSON`);
      continue;
    }
    const auths = parsed && typeof parsed.auths === 'object' && parsed.auths ? parsed.auths : {};
    const byKey = new Map<string, { entry: AuthEntry; key: string }>();
    for (const [key, entry] of Object.entries(auths)) {
      if (entry && typeof entry === 'object') byKey.set(normalizeAuthKey(key), { entry, key });
    }
    // a helper named for the registry wins, then the file's entries, then the default store (docker's order)
    const host = wanted[wanted.length - 1];
    const helper = helperFor(parsed, host);
    if (helper && helper !== parsed.credsStore) {
      debug(`asking the credential helper ${helper} (${file}) for ${host}`);
      const creds = await helperGet(helper, host);
      if (creds) return creds;
    }
    for (const want of wanted) {
      const hit = byKey.get(want);
      if (!hit) continue;
      const creds = decodeEntry(hit.entry, hit.key, file);
      if (creds) {
        debug(`using credentials for ${want} from ${file}`);
        return creds;
      }
    }
    if (helper && helper === parsed.credsStore) {
      debug(`asking the credential store ${helper} (${file}) for ${host}`);
      const creds = await helperGet(helper, host);
      if (creds) return creds;
    }
  }
  return undefined;
}

/** The credential helper an auth file names for a registry: credHelpers[registry], else credsStore. */
export function helperFor(parsed: { credHelpers?: unknown; credsStore?: unknown } | null | undefined, registry: string): string | undefined {
  const helpers = parsed && typeof parsed.credHelpers === 'object' && parsed.credHelpers ? parsed.credHelpers as Record<string, unknown> : {};
  for (const [key, name] of Object.entries(helpers)) {
    if (typeof name === 'string' && name && normalizeAuthKey(key) === registry) return name;
  }
  return typeof parsed?.credsStore === 'string' && parsed.credsStore ? parsed.credsStore : undefined;
}

export function basicAuthorization(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

export interface RegistryAuthOptions {
  /** host[:port] as credentials are filed under (docker.io, 127.0.0.1:5000) */
  registry: string;
  repository?: string;
  tlsVerify?: boolean;
  retries?: number;
  retryDelayMs?: number;
  /** longest wait for a token answer */
  deadlineMs?: number;
  env?: NodeJS.ProcessEnv;
  /** these credentials instead of the auth files' (login checks them) */
  credentials?: Credentials;
}

interface CachedToken { value: string; expiresAt: number }

const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;
/** a header value: visible ASCII only, so nothing can be smuggled into our requests */
const TOKEN_CHARS = /^[\x21-\x7e]+$/;

/**
 * Authorization for one registry during one pull: remembers the challenge from
 * the `/v2/` probe, looks credentials up once, and caches bearer tokens per scope.
 */
export class RegistryAuth {
  private challenges: AuthChallenge[] = [];
  private credentials: Promise<Credentials | undefined> | undefined;
  private readonly tokens = new Map<string, CachedToken>();

  constructor(private readonly opts: RegistryAuthOptions) {}

  setChallenges(challenges: AuthChallenge[]): void {
    this.challenges = challenges;
  }

  /** Forget the token for a scope (it was refused), optionally with the new challenge. */
  invalidate(scope: string, challenges?: AuthChallenge[]): void {
    this.tokens.delete(scope);
    if (challenges?.length) this.challenges = challenges;
  }

  private creds(): Promise<Credentials | undefined> {
    if (this.opts.credentials) return Promise.resolve(this.opts.credentials);
    this.credentials ??= findCredentials(this.opts.registry, this.opts.repository, this.opts.env);
    return this.credentials;
  }

  /** The Authorization header value for a request in `scope`, or undefined for anonymous access. */
  async authorization(scope: string): Promise<string | undefined> {
    const bearer = this.challenges.find(c => c.scheme === 'bearer');
    if (bearer) return `Bearer ${await this.token(bearer, scope)}`;
    if (this.challenges.some(c => c.scheme === 'basic')) {
      const c = await this.creds();
      return c ? basicAuthorization(c) : undefined;
    }
    return undefined;
  }

  private async token(challenge: AuthChallenge, scope: string): Promise<string> {
    const cached = this.tokens.get(scope);
    if (cached && cached.expiresAt > Date.now()) return cached.value;
    const realm = challenge.params.realm;
    let url: URL;
    try {
      url = new URL(realm ?? '');
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
    } catch {
      throw new RackerError(`${this.opts.registry} sent an unusable auth realm '${sanitize(realm ?? '', 80)}'`);
    }
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    if (scope) url.searchParams.append('scope', scope);
    const headers: Record<string, string> = {};
    const creds = await this.creds();
    // credentials travel to the realm only over TLS, or when the user said the registry is insecure
    if (creds && (url.protocol === 'https:' || this.opts.tlsVerify === false)) {
      headers.Authorization = basicAuthorization(creds);
      url.searchParams.set('account', creds.username);
    }
    const res = await request(url.toString(), {
      headers, tlsVerify: this.opts.tlsVerify, retries: this.opts.retries, retryDelayMs: this.opts.retryDelayMs, deadlineMs: this.opts.deadlineMs,
      subject: { kind: 'token', name: `for ${scope}` },
    });
    const body = await readBodyCapped(res, MAX_TOKEN_RESPONSE_BYTES, `token answer from ${url.host}`);
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch {
      throw new RackerError(`the token service ${url.host} did not answer with JSON`);
    }
    const value = typeof parsed.token === 'string' && parsed.token ? parsed.token : parsed.access_token;
    if (typeof value !== 'string' || !TOKEN_CHARS.test(value)) {
      throw new RackerError(`the token service ${url.host} sent no usable token`);
    }
    // tokens live at least 60 s (distribution spec); renew a little early
    const lifetime = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : 60;
    this.tokens.set(scope, { value, expiresAt: Date.now() + Math.max(10, lifetime - 10) * 1000 });
    return value;
  }
}
