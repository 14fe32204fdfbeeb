import { readFile, readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { RackerError, isErrno } from '../errors.js';
import { debug } from '../log.js';
import { readBodyCapped, request } from './http.js';

/**
 * Simple-signing signatures kept beside a registry (containers-registries.d(5)):
 * YAML files name, per registry or namespace, a `lookaside` URL (older name
 * `sigstore`); signature N of manifest sha256:HEX of host/repo is at
 * URL/repo@sha256=HEX/signature-N, N from 1, until the first one missing.
 */

/** Replaces the registries.d folders (colon-separated), for tests. */
export const REGISTRIES_D_ENV = 'RACKER_REGISTRIES_D';
const MAX_SIGNATURES = 16;
const MAX_SIGNATURE_BYTES = 4 * 1024 * 1024;

function registriesDirs(env: NodeJS.ProcessEnv): string[] {
  const given = env[REGISTRIES_D_ENV];
  if (given !== undefined) return given.split(':').filter(Boolean);
  return [path.join(env.XDG_CONFIG_HOME || path.join(env.HOME || homedir(), '.config'), 'containers', 'registries.d'), '/etc/containers/registries.d'];
}

interface ScopeConfig { lookaside?: unknown; sigstore?: unknown }

/** The lookaside URL for `name` (host/repo), from the most specific scope, else default-docker. */
export async function lookasideBase(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  // loaded only when a policy asks for signatures; the bundle hands the CommonJS build back as `default`
  const mod = await import('yaml') as typeof import('yaml') & { default?: typeof import('yaml') };
  const parse = typeof mod.parse === 'function' ? mod.parse : mod.default!.parse;
  const scopes = new Map<string, ScopeConfig>();
  let fallback: ScopeConfig | undefined;
  for (const dir of registriesDirs(env)) {
    let files: string[];
    try {
      files = (await readdir(dir)).filter(f => f.endsWith('.yaml')).sort();
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) continue;
      throw err;
    }
    for (const f of files) {
      const file = path.join(dir, f);
      let doc: { docker?: Record<string, ScopeConfig>; 'default-docker'?: ScopeConfig } | null;
      try {
        doc = parse(await readFile(file, 'utf8')) as typeof doc;
      } catch (err) {
        throw new RackerError(`cannot read ${file}: ${(err as Error).message.split('\n')[0]}; refusing to pull`, { hint: 'registries.d files are YAML (containers-registries.d(5))' });
      }
      for (const [k, v] of Object.entries(doc?.docker ?? {})) if (v && typeof v === 'object') scopes.set(k, v);
      if (doc?.['default-docker']) fallback = doc['default-docker'];
    }
    break; // the first folder that exists is the configuration, as in containers/image
  }
  const parts = name.split('/');
  for (let n = parts.length; n > 0; n--) {
    const hit = scopes.get(parts.slice(0, n).join('/'));
    const url = hit?.lookaside ?? hit?.sigstore;
    if (typeof url === 'string') return url;
  }
  const url = fallback?.lookaside ?? fallback?.sigstore;
  return typeof url === 'string' ? url : undefined;
}

/** The signatures of manifest `digest` of `name` in the lookaside store, in order. */
export async function lookasideSignatures(name: string, digest: string, opts: { tlsVerify?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<Buffer[]> {
  const base = await lookasideBase(name, opts.env);
  if (!base) return [];
  const repo = name.split('/').slice(1).join('/');
  const out: Buffer[] = [];
  for (let n = 1; n <= MAX_SIGNATURES; n++) {
    const url = new URL(`${base.replace(/\/+$/, '')}/${repo}@${digest.replace(':', '=')}/signature-${n}`);
    let sig: Buffer | undefined;
    if (url.protocol === 'file:') {
      sig = await readFile(url).catch(err => { if (isErrno(err, 'ENOENT')) return undefined; throw err; });
      if (sig && sig.length > MAX_SIGNATURE_BYTES) throw new RackerError(`signature ${url.pathname} is larger than 4 MiB`);
    } else if (url.protocol === 'https:' || url.protocol === 'http:') {
      const res = await request(url.toString(), { tlsVerify: opts.tlsVerify, passStatuses: [404], retries: 1, subject: { kind: 'blob', name: `signature-${n}` } });
      if (res.status === 404) await res.body?.cancel().catch(() => undefined);
      else sig = await readBodyCapped(res, MAX_SIGNATURE_BYTES, `signature ${url}`);
    } else {
      throw new RackerError(`lookaside URL ${base.slice(0, 80)} is neither file:, http: nor https:`);
    }
    if (!sig) break;
    out.push(sig);
  }
  debug(`${out.length} signature(s) for ${name}@${digest} in ${base}`);
  return out;
}
