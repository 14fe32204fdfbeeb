import { readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { RackerError, isErrno } from '../errors.js';
import { debug } from '../log.js';
import { extraCa } from './extra-ca.js';

/**
 * Per-registry TLS material, where containers-certs.d(5) and docker keep it:
 * BASE/HOST[:PORT]/ holds `*.crt` (CAs trusted for that registry, beside the
 * well-known ones) and `NAME.cert` + `NAME.key` pairs (a client certificate
 * for mutual TLS). The first BASE that has a folder for the host is used, as
 * podman and skopeo do.
 */

/** Replaces the list of BASE folders (colon-separated): for tests and unusual layouts. */
export const CERTS_DIRS_ENV = 'RACKER_CERTS_DIRS';

export interface HostTls {
  /** the folder the files came from, if any */
  dir?: string;
  /** the CAs to trust: undefined means node's default set */
  ca?: string[];
  cert?: string;
  key?: string;
}

export function certsBaseDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const given = env[CERTS_DIRS_ENV];
  if (given !== undefined) return given.split(':').filter(Boolean);
  const bases = ['/etc/containers/certs.d', '/etc/docker/certs.d'];
  // unprivileged users' own folder comes first, as in containers/image
  if (process.getuid?.() !== 0) bases.unshift(path.join(env.XDG_CONFIG_HOME || path.join(env.HOME || homedir(), '.config'), 'containers', 'certs.d'));
  return bases;
}

const cache = new Map<string, HostTls>();

/** What to use for an HTTPS connection to `host` (host[:port] as in a URL). */
export function tlsForHost(host: string, env: NodeJS.ProcessEnv = process.env): HostTls {
  const key = `${env[CERTS_DIRS_ENV] ?? ''}\0${env.RACKER_EXTRA_CA_CERTS ?? ''}\0${host}`;
  let found = cache.get(key);
  if (!found) {
    found = readHostTls(host, env);
    cache.set(key, found);
  }
  return found;
}

function readHostTls(host: string, env: NodeJS.ProcessEnv): HostTls {
  const base = extraCa(env);
  // a host name never holds a path separator; refuse anything that would walk out of BASE
  if (!/^[A-Za-z0-9.\-[\]:]+$/.test(host) || host.startsWith('.')) return { ca: base };
  for (const dir of certsBaseDirs(env).map(b => path.join(b, host))) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) continue;
      throw new RackerError(`cannot read ${dir}: ${(err as Error).message}`, { hint: 'certs.d folders must be readable by the user running racker' });
    }
    const read = (name: string) => {
      try {
        return readFileSync(path.join(dir, name), 'utf8');
      } catch (err) {
        throw new RackerError(`cannot read ${path.join(dir, name)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    };
    const out: HostTls = { dir };
    const cas = names.filter(n => n.endsWith('.crt')).map(read);
    if (cas.length) out.ca = [...(base ?? rootCertificates), ...cas];
    else out.ca = base;
    for (const n of names.filter(n => n.endsWith('.cert'))) {
      const keyName = `${n.slice(0, -'.cert'.length)}.key`;
      if (!names.includes(keyName)) throw new RackerError(`${path.join(dir, n)} has no matching ${keyName}`, { hint: 'a client certificate needs its private key beside it, named the same with .key' });
      if (out.cert) continue;
      out.cert = read(n);
      out.key = read(keyName);
    }
    for (const n of names.filter(n => n.endsWith('.key'))) {
      if (!names.includes(`${n.slice(0, -'.key'.length)}.cert`)) throw new RackerError(`${path.join(dir, n)} has no matching ${n.slice(0, -'.key'.length)}.cert`, { hint: 'a client key needs its certificate beside it, named the same with .cert' });
    }
    debug(`TLS for ${host} from ${dir}: ${cas.length} CA file(s)${out.cert ? ', a client certificate' : ''}`);
    return out;
  }
  return { ca: base };
}
