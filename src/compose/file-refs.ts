import path from 'node:path';
import { RackerError } from '../errors.js';
import { fail, type Where } from './normalize.js';
import type { FileRef, FileSource } from './types.js';

/**
 * Secrets and configs, stage "validate": the top-level definitions (where the
 * content comes from: file, environment or content) and a service's use of
 * them (short syntax: the name; long: source, target, uid, gid, mode).
 * secrets.ts writes them when a container is made.
 */

export type FileKind = 'secrets' | 'configs';

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const NAME_RE = /^[a-zA-Z0-9._-]+$/;

/** One top-level `secrets.NAME` or `configs.NAME`. */
export function validateFileSource(kind: FileKind, key: string, v: unknown, baseDir: string, warnings: string[]): FileSource {
  const where = `${kind}.${key}`;
  if (!NAME_RE.test(key) || key === '.' || key === '..') throw new RackerError(`invalid ${kind.slice(0, -1)} name '${key.slice(0, 80)}'`, { hint: 'letters, digits, . _ -' });
  if (!isMap(v)) throw new RackerError(`${where}: expected a map with file, environment or content`);
  const sources = ['file', 'environment', 'content'].filter(k => v[k] !== undefined);
  for (const k of Object.keys(v)) {
    if (['file', 'environment', 'content'].includes(k)) continue;
    if (k === 'external' || k === 'driver' || k === 'driver_opts' || k === 'template_driver') {
      throw new RackerError(`${where}.${k}: not supported`, { hint: 'racker has no secret store: give file, environment or content' });
    }
    if (k === 'name' || k === 'labels') { warnings.push(`${where}: ${k} is not supported by racker and is ignored`); continue; }
    throw new RackerError(`${where}.${k}: not a Compose key here`, { hint: 'file, environment, content' });
  }
  if (sources.length !== 1) throw new RackerError(`${where}: give exactly one of file, environment, content`);
  const value = v[sources[0]];
  if (typeof value !== 'string') throw new RackerError(`${where}.${sources[0]}: expected a string`);
  if (sources[0] === 'file') return { file: path.resolve(baseDir, value) };
  if (sources[0] === 'environment') return { environment: value };
  return { content: value };
}

/** A service's `secrets:` or `configs:` list. */
export function fileRefs(where: Where, kind: FileKind, v: unknown): FileRef[] {
  if (!Array.isArray(v)) fail(where, kind, 'expected a list of names or of {source, target, uid, gid, mode}');
  const refs = v.map((item, i): FileRef => {
    const at = `${kind}[${i}]`;
    if (typeof item === 'string') return { source: item, target: defaultTarget(kind, item) };
    if (!isMap(item) || typeof item.source !== 'string') return fail(where, at, 'expected a name or {source, target, uid, gid, mode}');
    for (const k of Object.keys(item)) if (!['source', 'target', 'uid', 'gid', 'mode'].includes(k)) fail(where, `${at}.${k}`, 'not a key here', 'source, target, uid, gid, mode');
    const target = item.target === undefined ? defaultTarget(kind, item.source) : String(item.target);
    const ref: FileRef = { source: item.source, target: kind === 'secrets' && !target.startsWith('/') ? `/run/secrets/${target}` : target };
    if (!ref.target.startsWith('/')) fail(where, `${at}.target`, `'${ref.target.slice(0, 80)}' is not an absolute path`);
    if (ref.target.split('/').includes('..')) fail(where, `${at}.target`, `'${ref.target.slice(0, 80)}' contains ..`);
    for (const id of ['uid', 'gid'] as const) {
      if (item[id] === undefined) continue;
      const n = Number(item[id]);
      if (!/^\d{1,10}$/.test(String(item[id])) || n > 0xfffffffe) fail(where, `${at}.${id}`, `invalid ${id} '${String(item[id]).slice(0, 20)}'`, 'a number');
      ref[id] = n;
    }
    if (item.mode !== undefined) ref.mode = fileMode(where, `${at}.mode`, item.mode);
    return ref;
  });
  const targets = refs.map(r => r.target);
  const twice = targets.find((t, i) => targets.indexOf(t) !== i);
  if (twice) fail(where, kind, `two entries at ${twice}`);
  return refs;
}

/** secrets: /run/secrets/NAME; configs: /NAME (docker compose's defaults). */
function defaultTarget(kind: FileKind, name: string): string {
  return kind === 'secrets' ? `/run/secrets/${name}` : `/${name}`;
}

/** A mode as a number (YAML 0o440 or 288) or an octal string ("0440"); at most 0777. */
export function fileMode(where: Where, key: string, v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^0?[0-7]{1,4}$/.test(v) ? parseInt(v, 8) : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > 0o777) fail(where, key, `invalid mode '${String(v).slice(0, 20)}'`, 'an octal mode such as "0440" (quoted), or 0o440');
  return n;
}

/** Every name a service uses is defined at the top level. */
export function checkDefined(where: Where, kind: FileKind, refs: FileRef[], defined: Record<string, FileSource>): void {
  for (const r of refs) {
    if (!defined[r.source]) fail(where, kind, `${kind.slice(0, -1)} "${r.source}" is not defined in the top-level ${kind}`, `add it under ${kind}: with file:, environment: or content:`);
  }
}
