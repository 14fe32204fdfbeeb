import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { FileRefused, readBoundedFileSync } from '../bounded-file.js';
import { RackerError, isErrno } from '../errors.js';
import { readEnvFile } from './env-file.js';
import { interpolateTree, type Lookup } from './interpolate.js';
import { keyProblem, TOP_LEVEL_KEYS } from './keys.js';
import { mergeMappings, mergeService } from './merge.js';
import { normalizeService, type RawService } from './normalize.js';
import { checkProjectName, normalizeProjectName } from './naming.js';
import { dependencyOrder } from './order.js';
import { checkDefined, validateFileSource, type FileKind } from './file-refs.js';
import type { Project, ServiceConfig } from './types.js';
import { validateNetwork, validateService, validateVolume } from './validate.js';

/**
 * Loading a project, in fixed stages as compose-go does:
 *   1. find the files (-f, COMPOSE_FILE, or compose.yaml & co. here or above)
 *   2. the environment: shell variables over --env-file (or the project's .env)
 *   3. per file: parse YAML (anchors, << merge keys), interpolate values,
 *      drop x- keys, normalise every service to long syntax, resolve extends
 *   4. merge the files in order (merge.ts)
 *   5. project name (-p, COMPOSE_PROJECT_NAME, name:, the folder)
 *   6. validate into the typed model (validate.ts), warnings for unsupported keys
 *   7. profiles: only services without profiles, with an enabled profile, or named
 *   8. references (depends_on, networks, volumes) and the dependency order
 */

export interface LoadOptions {
  /** where to look for files (default process.cwd()) */
  cwd?: string;
  /** -f, in merge order */
  files?: string[];
  /** -p */
  projectName?: string;
  /** --project-directory (default: the first file's folder) */
  projectDirectory?: string;
  /** --env-file, in order (replaces the project's .env) */
  envFiles?: string[];
  /** --profile */
  profiles?: string[];
  /** services named on the command line: active whatever their profiles */
  services?: string[];
  /** the shell environment (default process.env) */
  env?: Record<string, string | undefined>;
}

export const FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const OVERRIDE_NAMES = ['compose.override.yaml', 'compose.override.yml', 'docker-compose.override.yaml', 'docker-compose.override.yml'];

/** Stage 1: the files, absolute, in merge order. */
export function findFiles(cwd: string, files: string[] | undefined, env: Record<string, string | undefined>, warnings: string[]): string[] {
  const given = files?.length ? files : env.COMPOSE_FILE ? env.COMPOSE_FILE.split(env.COMPOSE_PATH_SEPARATOR || path.delimiter).filter(Boolean) : undefined;
  if (given) {
    return given.map(f => {
      const abs = path.resolve(cwd, f);
      if (!existsSync(abs)) throw new RackerError(`compose file ${abs} not found`, { hint: 'check the -f path' });
      return abs;
    });
  }
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const found = FILE_NAMES.filter(n => existsSync(path.join(dir, n)));
    if (found.length) {
      if (found.length > 1) warnings.push(`found several compose files in ${dir} (${found.join(', ')}): using ${found[0]}`);
      const override = OVERRIDE_NAMES.find(n => existsSync(path.join(dir, n)));
      return [path.join(dir, found[0]), ...(override ? [path.join(dir, override)] : [])];
    }
    if (dir === path.dirname(dir)) break;
  }
  throw new RackerError(`no compose file found in ${path.resolve(cwd)} or above`, { hint: `create ${FILE_NAMES[0]}, or name one with -f` });
}

interface ParsedFile {
  file: string;
  name?: string;
  services: Record<string, RawService>;
  networks: Record<string, unknown>;
  volumes: Record<string, unknown>;
  secrets: Record<string, unknown>;
  configs: Record<string, unknown>;
}

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** a compose file larger than this is refused (its YAML would take some 20 times its size in memory) */
export const COMPOSE_FILE_MAX_BYTES = 4 * 1024 * 1024;

function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readBoundedFileSync(file, COMPOSE_FILE_MAX_BYTES);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new RackerError(`compose file ${file} not found`);
    const what = err instanceof FileRefused ? err.message : (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new RackerError(`cannot read compose file ${file}: ${what}`, { hint: 'give a regular file (or a pipe) of YAML', cause: err });
  }
  const doc = parseDocument(text, { merge: true, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const line = e.linePos?.[0] ? `:${e.linePos[0].line}` : '';
    throw new RackerError(`${file}${line}: not valid YAML: ${e.message.split('\n')[0]}`, { hint: 'fix the YAML syntax (indentation, quotes, colons)' });
  }
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new RackerError(`${file}: ${(err as Error).message}`, { hint: 'anchors may not expand past 1000 aliases' });
  }
}

/** Stage 3 for one file: parse, interpolate, normalise; extends resolved later (it may need other files). */
function parseFile(file: string, baseDir: string, env: Lookup, warnings: string[], missing: (name: string) => void): ParsedFile {
  const raw = readYaml(file);
  if (raw === null || raw === undefined) return { file, services: {}, networks: {}, volumes: {}, secrets: {}, configs: {} };
  if (!isMap(raw)) throw new RackerError(`${file}: the top level is not a mapping`, { hint: 'a compose file is a map with services:, networks:, volumes:' });
  const tree = interpolateTree(raw, env, file, missing) as Record<string, unknown>;
  for (const key of Object.keys(tree)) {
    const problem = keyProblem(TOP_LEVEL_KEYS, key);
    if (problem === 'unknown') throw new RackerError(`${file}: ${key}: not a Compose top-level key`, { hint: 'services, networks, volumes, name (custom keys start with x-)' });
    if (problem?.status === 'refused') throw new RackerError(`${file}: ${key}: ${problem.note}`);
    if (problem?.status === 'warned') warnings.push(`${path.basename(file)}: top-level ${key} is ${key === 'version' ? 'obsolete' : 'not supported by racker'} and is ignored`);
  }
  const section = (key: string): Record<string, unknown> => {
    const v = tree[key];
    if (v === undefined || v === null) return {};
    if (!isMap(v)) throw new RackerError(`${file}: ${key}: expected a mapping of names`);
    return Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith('x-')));
  };
  const services: Record<string, RawService> = {};
  for (const [name, svc] of Object.entries(section('services'))) services[name] = normalizeService({ file, service: name, baseDir }, svc);
  if (tree.name !== undefined && typeof tree.name !== 'string') throw new RackerError(`${file}: name: expected a string`);
  return { file, name: tree.name as string | undefined, services, networks: section('networks'), volumes: section('volumes'), secrets: section('secrets'), configs: section('configs') };
}

/** Stage 3, extends: a service is its base (resolved first) merged with its own keys. */
function resolveExtends(parsed: ParsedFile, load: (file: string) => ParsedFile, chain: string[] = []): void {
  const resolve = (pf: ParsedFile, name: string, seen: string[]): RawService => {
    const svc = pf.services[name];
    const ext = svc.extends as { service: string; file?: string } | undefined;
    if (!ext) return svc;
    const id = `${pf.file}#${name}`;
    if (seen.includes(id)) throw new RackerError(`${pf.file}: service "${name}": extends loops: ${[...seen, id].map(s => s.split('#')[1]).join(' -> ')}`, { hint: 'break the cycle of extends' });
    const from = ext.file === undefined ? pf : load(path.resolve(path.dirname(pf.file), ext.file));
    if (!from.services[ext.service]) {
      throw new RackerError(`${pf.file}: service "${name}": extends: no service "${ext.service}" in ${from.file}`, { hint: 'name a service defined there' });
    }
    const base = resolve(from, ext.service, [...seen, id]);
    const { extends: _drop, ...own } = svc;
    const merged = mergeService(base, own);
    pf.services[name] = merged;
    return merged;
  };
  for (const name of Object.keys(parsed.services)) resolve(parsed, name, chain);
}

export function loadProject(opts: LoadOptions = {}): Project {
  const cwd = opts.cwd ?? process.cwd();
  const shell = opts.env ?? process.env;
  const warnings: string[] = [];
  const files = findFiles(cwd, opts.files, shell, warnings);
  const workingDir = path.resolve(cwd, opts.projectDirectory ?? path.dirname(files[0]));
  if (opts.projectDirectory !== undefined && !statSync(workingDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new RackerError(`project directory ${workingDir} is not a directory`);
  }

  // stage 2: shell variables win over the env files
  const shellLookup: Lookup = name => shell[name];
  const dotenv: Record<string, string> = {};
  const envFiles = opts.envFiles?.length ? opts.envFiles.map(f => ({ path: path.resolve(cwd, f), required: true })) : [{ path: path.join(workingDir, '.env'), required: false }];
  for (const f of envFiles) Object.assign(dotenv, readEnvFile(f.path, f.required, name => shell[name] ?? dotenv[name]));
  const lookup: Lookup = name => shellLookup(name) ?? (Object.hasOwn(dotenv, name) ? dotenv[name] : undefined);
  const environment: Record<string, string> = { ...dotenv };
  for (const [k, v] of Object.entries(shell)) if (v !== undefined) environment[k] = v;

  // stage 3
  const unset = new Set<string>();
  const missing = (name: string) => {
    if (!unset.has(name)) warnings.push(`the "${name}" variable is not set: it defaults to a blank string`);
    unset.add(name);
  };
  const cache = new Map<string, ParsedFile>();
  const load = (file: string, baseDir = path.dirname(file)): ParsedFile => {
    let pf = cache.get(file);
    if (!pf) {
      if (!existsSync(file)) throw new RackerError(`extends: file ${file} not found`);
      pf = parseFile(file, baseDir, lookup, warnings, missing);
      cache.set(file, pf);
      resolveExtends(pf, f => load(f));
    }
    return pf;
  };
  // every -f file's relative paths are relative to the project directory
  const parsed = files.map(f => load(f, workingDir));

  // stage 4
  let name: string | undefined;
  const rawServices: Record<string, RawService> = {};
  let rawNetworks: Record<string, unknown> = {};
  let rawVolumes: Record<string, unknown> = {};
  let rawFiles: Record<FileKind, Record<string, unknown>> = { secrets: {}, configs: {} };
  for (const pf of parsed) {
    if (pf.name !== undefined) name = pf.name;
    for (const [svc, cfg] of Object.entries(pf.services)) rawServices[svc] = rawServices[svc] ? mergeService(rawServices[svc], cfg) : cfg;
    rawNetworks = mergeNullable(rawNetworks, pf.networks);
    rawVolumes = mergeNullable(rawVolumes, pf.volumes);
    rawFiles = { secrets: mergeNullable(rawFiles.secrets, pf.secrets), configs: mergeNullable(rawFiles.configs, pf.configs) };
  }

  // stage 5
  const projectName = projectNameOf(opts.projectName, lookup('COMPOSE_PROJECT_NAME'), name, workingDir);
  const fileLabel = files.length === 1 ? files[0] : `${files[0]} (+${files.length - 1})`;

  // stage 6
  const origin = (svc: string) => [...parsed].reverse().find(pf => pf.services[svc])?.file ?? files[0];
  const all: Record<string, ServiceConfig> = {};
  for (const [svc, raw] of Object.entries(rawServices)) {
    all[svc] = validateService({ file: origin(svc), service: svc, baseDir: workingDir }, raw, lookup, warnings);
  }
  if (Object.keys(all).length === 0) throw new RackerError(`${fileLabel}: no services defined`, { hint: 'add a services: section with at least one service' });
  const withFile = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof RackerError) err.message = `${fileLabel}: ${err.message}`;
      throw err;
    }
  };
  const networks = Object.fromEntries(Object.entries(rawNetworks).map(([k, v]) => [k, withFile(() => validateNetwork(k, v, projectName, warnings))]));
  const volumes = Object.fromEntries(Object.entries(rawVolumes).map(([k, v]) => [k, withFile(() => validateVolume(k, v, projectName, warnings))]));
  const [secrets, configs] = (['secrets', 'configs'] as const).map(kind => Object.fromEntries(Object.entries(rawFiles[kind]).map(([k, v]) => [k, withFile(() => validateFileSource(kind, k, v, workingDir, warnings))])));

  // stage 7
  const enabled = new Set([...(opts.profiles ?? []), ...(lookup('COMPOSE_PROFILES') ?? '').split(',').map(p => p.trim()).filter(Boolean)]);
  for (const s of opts.services ?? []) {
    if (!all[s]) throw new RackerError(`no such service: ${s}`, { exitCode: 125, hint: `services: ${Object.keys(all).sort().join(', ')}` });
  }
  const active = (s: ServiceConfig) => s.profiles.length === 0 || enabled.has('*') || s.profiles.some(p => enabled.has(p)) || (opts.services ?? []).includes(s.name);
  const services: Record<string, ServiceConfig> = {};
  const disabledServices: string[] = [];
  for (const s of Object.values(all)) {
    if (active(s)) services[s.name] = s;
    else disabledServices.push(s.name);
  }

  // stage 8
  for (const s of Object.values(services)) {
    const at = `${origin(s.name)}: service "${s.name}"`;
    for (const [dep, d] of Object.entries(s.depends_on)) {
      if (services[dep]) continue;
      if (!d.required) {
        warnings.push(`service "${s.name}": its optional dependency "${dep}" is ${all[dep] ? 'not enabled' : 'not defined'}`);
        delete s.depends_on[dep];
      } else if (all[dep]) {
        throw new RackerError(`${at}: depends_on: "${dep}" is not enabled (profiles: ${all[dep].profiles.join(', ')})`, { hint: `enable it with --profile ${all[dep].profiles[0]}, or name it on the command line` });
      } else {
        throw new RackerError(`${at}: depends_on: no service "${dep}"`, { hint: `services: ${Object.keys(all).sort().join(', ')}` });
      }
    }
    const ref = /^service:(.*)$/.exec(s.network_mode ?? '');
    if (ref && !services[ref[1]]) throw new RackerError(`${at}: network_mode: no active service "${ref[1]}"`);
    for (const n of Object.keys(s.networks)) {
      if (networks[n]) continue;
      if (n !== 'default') throw new RackerError(`${at}: networks: "${n}" is not defined in the top-level networks`, { hint: `add it under networks: (defined: ${Object.keys(networks).join(', ') || 'none'})` });
      networks.default = validateNetwork('default', null, projectName, warnings);
    }
    for (const kind of ['secrets', 'configs'] as const) checkDefined({ file: origin(s.name), service: s.name, baseDir: workingDir }, kind, s[kind], kind === 'secrets' ? secrets : configs);
    for (const v of s.volumes) {
      if (v.type === 'volume' && v.source !== undefined && !volumes[v.source]) {
        throw new RackerError(`${at}: volumes: "${v.source}" is not defined in the top-level volumes`, { hint: `add "${v.source}:" under volumes:, or write a path (./${v.source}) for a bind mount` });
      }
    }
  }
  dependencyOrder(services);
  return { name: projectName, workingDir, configFiles: files, services, disabledServices, networks, volumes, secrets, configs, environment, warnings };
}

/** Top-level networks/volumes: `name:` with nothing after it is an entry too. */
function mergeNullable(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isMap(out[k]) && isMap(v) ? mergeMappings(out[k] as Record<string, unknown>, v) : (v ?? out[k] ?? null);
  return out;
}

/** Stage 5: -p, COMPOSE_PROJECT_NAME, name: (each checked), else the folder's name made valid. */
export function projectNameOf(flag: string | undefined, envName: string | undefined, fileName: string | undefined, workingDir: string): string {
  if (flag !== undefined) return checkProjectName(flag, '-p');
  if (envName) return checkProjectName(envName, 'COMPOSE_PROJECT_NAME');
  if (fileName !== undefined) return checkProjectName(fileName, 'name:');
  const fromDir = normalizeProjectName(path.basename(workingDir));
  if (!fromDir) throw new RackerError(`cannot make a project name from the folder ${workingDir}`, { hint: 'give one with -p NAME or name: in the compose file' });
  return fromDir;
}
