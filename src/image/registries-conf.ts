import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { isErrno, RackerError } from '../errors.js';
import { DOCKER_HUB, isValidRegistryHost, isValidRepository } from './reference.js';
import { isTomlTable, parseToml, type TomlTable, type TomlValue } from './toml.js';

/**
 * containers-registries.conf(5), read the way podman and skopeo read it:
 * which registry a name really comes from, its mirrors, and whether it is
 * insecure or blocked. Short-name aliases are not read.
 */

export type PullFromMirror = 'all' | 'digest-only' | 'tag-only';

export interface RegistryMirror {
  /** host[:port][/path] that replaces the entry's prefix */
  location: string;
  insecure: boolean;
  pullFromMirror?: PullFromMirror;
}

export interface RegistryEntry {
  /** host[:port][/path], or '*.example.com' for any subdomain */
  prefix: string;
  /** host[:port][/path] replacing the prefix; '' only for a wildcard prefix (no rewrite) */
  location: string;
  insecure: boolean;
  blocked: boolean;
  mirrors: RegistryMirror[];
  /** the registry-wide `mirror-by-digest-only` */
  mirrorByDigestOnly?: boolean;
  /** the file the entry was read from, for messages */
  file?: string;
}

export interface RegistriesConfig {
  registries: RegistryEntry[];
  unqualifiedSearch: string[];
}

/**
 * One place to pull an image from. The request goes to
 * `https://<registry>/v2/<repository>/manifests/<tag or digest>`: the caller
 * uses `repository` as is (already rewritten, e.g. 'mirrors/foo/app'), and
 * keeps the user's reference as the image's name.
 */
export interface Endpoint {
  /** host[:port] */
  registry: string;
  /** the repository path on that registry */
  repository: string;
  insecure: boolean;
  mirror: boolean;
}

const PULL_FROM_MIRROR: readonly string[] = ['all', 'digest-only', 'tag-only'];
const FILE_HINT = 'see containers-registries.conf(5) for the format';

/** What one file said, before drop-ins are merged over it. */
interface ParsedFile {
  conf: RegistriesConfig;
  /** an empty list in a drop-in still replaces the search list; an absent one does not */
  setsSearch: boolean;
  v1: boolean;
}

export function parseRegistriesConf(text: string, file: string): RegistriesConfig {
  return readDocument(parseToml(text, file), file).conf;
}

function readDocument(doc: TomlTable, file: string): ParsedFile {
  const fields = new Fields(doc, file, 'top level');
  const v1 = doc.registries;
  const search = fields.strings('unqualified-search-registries');
  if (v1 !== undefined) {
    if (doc.registry !== undefined || search !== undefined) {
      throw new RackerError(`${file}: mixes the v1 [registries.*] tables with v2 settings`, { hint: 'use only [[registry]] tables and unqualified-search-registries' });
    }
    return readV1(fields.table('registries')!, file);
  }
  const registries = (fields.tables('registry') ?? []).map((t, i) => readEntry(new Fields(t, file, `[[registry]] #${i + 1}`), file));
  const unqualifiedSearch = (search ?? []).map(s => host(s, file, 'unqualified-search-registries'));
  return { conf: { registries, unqualifiedSearch }, setsSearch: search !== undefined, v1: false };
}

function readEntry(f: Fields, file: string): RegistryEntry {
  const rawLocation = f.string('location');
  const rawPrefix = f.string('prefix');
  if (!rawLocation && !rawPrefix) throw f.error('has neither "prefix" nor "location"');
  const location = rawLocation ? place(rawLocation, f, 'location') : '';
  const prefix = rawPrefix ? prefixOf(rawPrefix, f) : location;
  if (!location && !prefix.startsWith('*.')) throw f.error('has an empty "location"; only a *.domain prefix may leave it out');
  if (f.string('pull-from-mirror') !== undefined) throw f.error('sets "pull-from-mirror", which belongs in its [[registry.mirror]] tables');
  const mirrorByDigestOnly = f.bool('mirror-by-digest-only') ?? false;
  const mirrors = (f.tables('mirror') ?? []).map((t, i) => {
    const m = new Fields(t, file, `${f.where} mirror #${i + 1}`);
    const loc = m.string('location');
    if (!loc) throw m.error('has no "location"');
    const mirror: RegistryMirror = { location: place(loc, m, 'location'), insecure: m.bool('insecure') ?? false };
    const pull = m.string('pull-from-mirror');
    if (pull !== undefined) {
      if (!PULL_FROM_MIRROR.includes(pull)) throw m.error(`has pull-from-mirror = ${JSON.stringify(pull)}; use "all", "digest-only" or "tag-only"`);
      if (mirrorByDigestOnly) throw m.error('sets "pull-from-mirror" while its registry sets "mirror-by-digest-only"');
      mirror.pullFromMirror = pull as PullFromMirror;
    }
    return mirror;
  });
  return { prefix, location, insecure: f.bool('insecure') ?? false, blocked: f.bool('blocked') ?? false, mirrors, mirrorByDigestOnly, file };
}

/** v1: three lists of registries; each becomes an entry keyed by its own name. */
function readV1(registries: TomlTable, file: string): ParsedFile {
  const lists = new Fields(registries, file, '[registries]');
  const list = (name: string) => {
    const t = lists.table(name);
    return t ? new Fields(t, file, `[registries.${name}]`).strings('registries') ?? [] : [];
  };
  const entries = new Map<string, RegistryEntry>();
  const entry = (name: string) => {
    const location = host(name, file, 'a [registries.*] list');
    const found = entries.get(location) ?? { prefix: location, location, insecure: false, blocked: false, mirrors: [], file };
    entries.set(location, found);
    return found;
  };
  for (const name of list('block')) entry(name).blocked = true;
  for (const name of list('insecure')) entry(name).insecure = true;
  const unqualifiedSearch = list('search').map(s => host(s, file, '[registries.search]'));
  return { conf: { registries: [...entries.values()], unqualifiedSearch }, setsSearch: lists.table('search') !== undefined, v1: true };
}

/** host[:port][/path], as `location` and plain prefixes are written. */
function place(raw: string, f: Fields, key: string): string {
  const s = raw.replace(/\/+$/, '');
  if (s.includes('://')) throw f.error(`has ${key} = ${JSON.stringify(raw)}; URL schemes are not supported, write host[:port][/path]`);
  const slash = s.indexOf('/');
  const hostPart = slash < 0 ? s : s.slice(0, slash);
  const pathPart = slash < 0 ? '' : s.slice(slash + 1);
  if (!isValidRegistryHost(hostPart) || (pathPart && !isValidRepository(pathPart))) {
    throw f.error(`has ${key} = ${JSON.stringify(raw)}, which is not host[:port][/path]`);
  }
  return s;
}

function prefixOf(raw: string, f: Fields): string {
  if (raw.startsWith('*.')) {
    if (!/^\*\.[a-zA-Z0-9.-]+$/.test(raw) || !isValidRegistryHost(raw.slice(2))) {
      throw f.error(`has prefix = ${JSON.stringify(raw)}; a wildcard prefix is *.domain, with no port or path`);
    }
    return raw;
  }
  const s = raw.replace(/\/+$/, '');
  // a tag or digest sits after the last '/', where a port cannot be
  if (s.includes('@') || (s.includes('/') && s.slice(s.lastIndexOf('/')).includes(':'))) {
    throw f.error(`has prefix = ${JSON.stringify(raw)}; racker matches prefixes on repositories, not on tags or digests`);
  }
  return place(s, f, 'prefix');
}

function host(raw: string, file: string, where: string): string {
  const s = raw.replace(/\/+$/, '');
  if (!isValidRegistryHost(s)) {
    throw new RackerError(`${file}: ${JSON.stringify(raw)} in ${where} is not a registry host[:port]`, { hint: FILE_HINT });
  }
  return s;
}

/** Typed reads of one TOML table, with messages naming the file and the table. */
class Fields {
  constructor(private readonly t: TomlTable, private readonly file: string, readonly where: string) {}

  error(what: string): RackerError {
    return new RackerError(`${this.file}: ${this.where} ${what}`, { hint: FILE_HINT });
  }

  private typed<T>(key: string, ok: (v: TomlValue) => boolean, kind: string): T | undefined {
    const v = this.t[key];
    if (v === undefined) return undefined;
    if (!ok(v)) throw this.error(`has "${key}" that is not ${kind}`);
    return v as T;
  }

  string(key: string): string | undefined {
    return this.typed(key, v => typeof v === 'string', 'a string');
  }

  bool(key: string): boolean | undefined {
    return this.typed(key, v => typeof v === 'boolean', 'true or false');
  }

  strings(key: string): string[] | undefined {
    return this.typed(key, v => Array.isArray(v) && v.every(s => typeof s === 'string'), 'an array of strings');
  }

  table(key: string): TomlTable | undefined {
    return this.typed(key, isTomlTable, 'a table');
  }

  tables(key: string): TomlTable[] | undefined {
    return this.typed(key, v => Array.isArray(v) && v.every(isTomlTable), 'an array of tables');
  }
}

/**
 * /etc/containers/registries.conf, then registries.conf.d/*.conf in name
 * order, where a later file's entry replaces any entry with the same prefix.
 * CONTAINERS_REGISTRIES_CONF names the one file to read instead.
 */
export async function loadRegistriesConf(env: NodeJS.ProcessEnv = process.env, confDir = '/etc/containers'): Promise<RegistriesConfig> {
  const only = env.CONTAINERS_REGISTRIES_CONF;
  if (only) return (await readConfFile(only))?.conf ?? emptyConfig();
  let merged = (await readConfFile(path.join(confDir, 'registries.conf')))?.conf ?? emptyConfig();
  for (const file of await dropInFiles(path.join(confDir, 'registries.conf.d'))) {
    const dropIn = await readConfFile(file);
    if (!dropIn) continue;
    if (dropIn.v1) throw new RackerError(`${file}: drop-in files must use the v2 format`, { hint: 'replace [registries.*] lists with [[registry]] tables' });
    const replaced = new Set(dropIn.conf.registries.map(r => r.prefix));
    merged = {
      registries: [...merged.registries.filter(r => !replaced.has(r.prefix)), ...dropIn.conf.registries],
      unqualifiedSearch: dropIn.setsSearch ? dropIn.conf.unqualifiedSearch : merged.unqualifiedSearch,
    };
  }
  return merged;
}

function emptyConfig(): RegistriesConfig {
  return { registries: [], unqualifiedSearch: [] };
}

async function readConfFile(file: string): Promise<ParsedFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw new RackerError(`cannot read ${file}: ${(err as Error).message}`, { cause: err, hint: 'check the file and its permissions' });
  }
  return readDocument(parseToml(text, file), file);
}

async function dropInFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter(e => e.name.endsWith('.conf') && (e.isFile() || e.isSymbolicLink()))
      .map(e => e.name)
      .sort()
      .map(name => path.join(dir, name));
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return [];
    throw new RackerError(`cannot read ${dir}: ${(err as Error).message}`, { cause: err, hint: 'check the directory and its permissions' });
  }
}

/** The longest prefix wins; for a *.domain prefix its length counts as written. */
function findEntry(conf: RegistriesConfig, registry: string, repository: string): RegistryEntry | undefined {
  const name = `${registry}/${repository}`;
  const hostOnly = registry.replace(/:\d+$/, '');
  let best: RegistryEntry | undefined;
  for (const entry of conf.registries) {
    const p = entry.prefix;
    const matches = p.startsWith('*.')
      ? hostOnly.endsWith(p.slice(1)) && hostOnly.length > p.length - 1
      : name === p || name.startsWith(`${p}/`);
    if (matches && (!best || p.length > best.prefix.length)) best = entry;
  }
  return best;
}

/** Replace the matched prefix with `location`: prefix example.com/foo, location m.local/bar: example.com/foo/app → m.local/bar/app. */
function rewrite(entry: RegistryEntry, location: string, registry: string, repository: string): { registry: string; repository: string } {
  let target: string;
  if (entry.prefix.startsWith('*.')) {
    if (!location) return { registry, repository };
    // the whole matched host[:port] is replaced
    target = `${location}/${repository}`;
  } else {
    target = location + `${registry}/${repository}`.slice(entry.prefix.length);
  }
  const slash = target.indexOf('/');
  if (slash < 0) {
    throw new RackerError(`${entry.file ?? 'registries.conf'}: location ${location} for prefix ${entry.prefix} leaves no repository name for ${registry}/${repository}`, {
      hint: 'give the location a path, or use a prefix that ends at a registry host',
    });
  }
  const host = target.slice(0, slash);
  const repo = target.slice(slash + 1);
  // as after docker.io/busybox, Docker Hub's single-component names live under library/
  return { registry: host, repository: host === DOCKER_HUB && !repo.includes('/') ? `library/${repo}` : repo };
}

function usesMirror(entry: RegistryEntry, mirror: RegistryMirror, byDigest: boolean): boolean {
  if (entry.mirrorByDigestOnly) return byDigest;
  if (mirror.pullFromMirror === 'digest-only') return byDigest;
  if (mirror.pullFromMirror === 'tag-only') return !byDigest;
  return true;
}

/**
 * Where to pull registry/repository from, in order: the usable mirrors, then
 * the primary location. `byDigest` is true when the reference has a digest.
 */
export function endpointsFor(conf: RegistriesConfig, registry: string, repository: string, byDigest: boolean): Endpoint[] {
  const entry = findEntry(conf, registry, repository);
  if (!entry) return [{ registry, repository, insecure: false, mirror: false }];
  if (entry.blocked) {
    throw new RackerError(`registry ${entry.prefix} is blocked in ${entry.file ?? 'registries.conf'}`, {
      hint: `${registry}/${repository} matches that [[registry]] entry; pull from another registry or remove "blocked = true" there`,
    });
  }
  const mirrors = entry.mirrors
    .filter(m => usesMirror(entry, m, byDigest))
    .map(m => ({ ...rewrite(entry, m.location, registry, repository), insecure: m.insecure, mirror: true }));
  return [...mirrors, { ...rewrite(entry, entry.location, registry, repository), insecure: entry.insecure, mirror: false }];
}

/** Whether registries.conf marks the registry itself (not a mirror) `insecure` (login's default for --tls-verify). */
export function registryInsecure(conf: RegistriesConfig, registry: string): boolean {
  return findEntry(conf, registry, '')?.insecure ?? false;
}
