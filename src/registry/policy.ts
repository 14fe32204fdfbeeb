import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { RackerError, isErrno } from '../errors.js';

/**
 * containers-policy.json(5): which images may be pulled, by transport and
 * scope. Parsed strictly: a requirement or identity rule racker does not know
 * makes the whole file an error, so a typo can never turn into "accept".
 */

export type SignedIdentity =
  | { type: 'matchExact' } | { type: 'matchRepoDigestOrExact' } | { type: 'matchRepository' }
  | { type: 'exactReference'; dockerReference: string } | { type: 'exactRepository'; dockerRepository: string };

export type Requirement =
  | { type: 'insecureAcceptAnything' }
  | { type: 'reject' }
  | { type: 'signedBy'; keyType: 'GPGKeys'; keyPath?: string; keyPaths?: string[]; keyData?: string; signedIdentity: SignedIdentity }
  | { type: 'sigstoreSigned'; keyPath?: string; keyData?: string; signedIdentity: SignedIdentity };

export interface Policy {
  file: string;
  default: Requirement[];
  transports: Record<string, Record<string, Requirement[]>>;
}

/** `--signature-policy`, else ~/.config/containers/policy.json when it exists, else /etc/containers/policy.json. */
export function policyCandidates(given: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  if (given) return [given];
  const user = path.join(env.XDG_CONFIG_HOME || path.join(env.HOME || homedir(), '.config'), 'containers', 'policy.json');
  return [user, '/etc/containers/policy.json'];
}

/** The policy in force, or undefined when there is no policy file at all (accept, as before). */
export async function loadPolicy(given?: string, env: NodeJS.ProcessEnv = process.env): Promise<Policy | undefined> {
  const files = policyCandidates(given, env);
  for (const [i, file] of files.entries()) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if (!given && (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR'))) continue;
      // a HOME that is another user's (sudo -u, setpriv): the system policy still applies
      if (!given && isErrno(err, 'EACCES') && i < files.length - 1) continue;
      throw new RackerError(`cannot read the signature policy ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; refusing to pull`);
    }
    return parsePolicy(text, file);
  }
  return undefined;
}

function bad(file: string, where: string, why: string): RackerError {
  return new RackerError(`the signature policy ${file} is invalid (${where}: ${why}); refusing to pull`, { hint: 'fix it as containers-policy.json(5) describes; racker never guesses "accept"' });
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function parseIdentity(v: unknown, file: string, where: string): SignedIdentity {
  if (v === undefined) return { type: 'matchRepoDigestOrExact' };
  if (!isObj(v) || typeof v.type !== 'string') throw bad(file, where, 'signedIdentity must be an object with a type');
  switch (v.type) {
    case 'matchExact': case 'matchRepoDigestOrExact': case 'matchRepository':
      return { type: v.type };
    case 'exactReference':
      if (typeof v.dockerReference !== 'string') throw bad(file, where, 'exactReference needs dockerReference');
      return { type: 'exactReference', dockerReference: v.dockerReference };
    case 'exactRepository':
      if (typeof v.dockerRepository !== 'string') throw bad(file, where, 'exactRepository needs dockerRepository');
      return { type: 'exactRepository', dockerRepository: v.dockerRepository };
    default:
      throw bad(file, where, `signedIdentity type '${String(v.type).slice(0, 40)}' is not supported`);
  }
}

function oneKeySource(r: Record<string, unknown>, file: string, where: string, names: string[]): void {
  const given = names.filter(n => r[n] !== undefined);
  if (given.length !== 1) throw bad(file, where, `exactly one of ${names.join(', ')} is needed`);
}

function parseRequirement(v: unknown, file: string, where: string): Requirement {
  if (!isObj(v) || typeof v.type !== 'string') throw bad(file, where, 'a requirement must be an object with a type');
  switch (v.type) {
    case 'insecureAcceptAnything':
    case 'reject':
      return { type: v.type };
    case 'signedBy': {
      if (v.keyType !== 'GPGKeys') throw bad(file, where, `signedBy keyType '${String(v.keyType).slice(0, 40)}' is not supported (GPGKeys is)`);
      oneKeySource(v, file, where, ['keyPath', 'keyPaths', 'keyData']);
      if (v.keyPaths !== undefined && (!Array.isArray(v.keyPaths) || !v.keyPaths.every(p => typeof p === 'string'))) throw bad(file, where, 'keyPaths must be a list of files');
      return {
        type: 'signedBy', keyType: 'GPGKeys', signedIdentity: parseIdentity(v.signedIdentity, file, where),
        keyPath: typeof v.keyPath === 'string' ? v.keyPath : undefined, keyPaths: v.keyPaths as string[] | undefined,
        keyData: typeof v.keyData === 'string' ? v.keyData : undefined,
      };
    }
    case 'sigstoreSigned': {
      oneKeySource(v, file, where, ['keyPath', 'keyData', 'fulcio']);
      if (v.fulcio !== undefined) throw bad(file, where, 'sigstoreSigned with fulcio is not supported; use keyPath or keyData');
      return {
        type: 'sigstoreSigned', signedIdentity: parseIdentity(v.signedIdentity, file, where),
        keyPath: typeof v.keyPath === 'string' ? v.keyPath : undefined, keyData: typeof v.keyData === 'string' ? v.keyData : undefined,
      };
    }
    default:
      throw bad(file, where, `requirement type '${String(v.type).slice(0, 40)}' is unknown`);
  }
}

function parseList(v: unknown, file: string, where: string): Requirement[] {
  if (!Array.isArray(v) || v.length === 0) throw bad(file, where, 'must be a non-empty list of requirements');
  return v.map((r, i) => parseRequirement(r, file, `${where}[${i}]`));
}

export function parsePolicy(text: string, file: string): Policy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw bad(file, 'JSON', (err as Error).message.slice(0, 120));
  }
  if (!isObj(doc)) throw bad(file, 'top level', 'not a JSON object');
  const transports: Policy['transports'] = {};
  if (doc.transports !== undefined) {
    if (!isObj(doc.transports)) throw bad(file, 'transports', 'not an object');
    for (const [t, scopes] of Object.entries(doc.transports)) {
      if (!isObj(scopes)) throw bad(file, `transports.${t}`, 'not an object');
      transports[t] = {};
      for (const [scope, list] of Object.entries(scopes)) transports[t][scope] = parseList(list, file, `transports.${t}["${scope}"]`);
    }
  }
  return { file, default: parseList(doc.default, file, 'default'), transports };
}

/**
 * The requirements for an image of `transport` named `name` (docker:
 * host[:port]/repo), and the scope that chose them: the most specific of
 * the exact repository, its parent namespaces, the host, a `*.domain`
 * wildcard, the transport's "" entry, then the policy's default.
 */
export function requirementsFor(policy: Policy, transport: string, name: string): { scope: string; reqs: Requirement[] } {
  const scopes = policy.transports[transport];
  if (scopes) {
    if (transport === 'docker') {
      const parts = name.split('/');
      for (let n = parts.length; n > 0; n--) {
        const s = parts.slice(0, n).join('/');
        if (scopes[s]) return { scope: `${transport}:${s}`, reqs: scopes[s] };
      }
      const host = parts[0].replace(/:\d+$/, '');
      const labels = host.split('.');
      for (let i = 1; i < labels.length; i++) {
        const wild = `*.${labels.slice(i).join('.')}`;
        if (scopes[wild]) return { scope: `${transport}:${wild}`, reqs: scopes[wild] };
      }
    } else if (scopes[name]) {
      return { scope: `${transport}:${name}`, reqs: scopes[name] };
    }
    if (scopes['']) return { scope: `${transport}:""`, reqs: scopes[''] };
  }
  return { scope: 'default', reqs: policy.default };
}
