import path from 'node:path';
import { RackerError } from '../errors.js';
import { shown } from '../untrusted.js';
import { checkVolumeTarget } from './volumes.js';
import { parseVolumeSyntax } from '../syntax/volumes.js';
import { isValidVolumeName, VOLUME_NAME_RULE } from '../model/volume-names.js';
import type { TmpfsMount, VolumeMount, VolumeSpec } from '../model/mounts.js';
import { parseByteSize } from '../units.js';

/**
 * The mounts `racker run` can be given, parsed by pure functions:
 *   -v NAME:/path[:opts]   a named volume       -v /host:/path[:ro]   a bind mount (parseVolume's rules)
 *   -v /path               an anonymous volume  --mount type=…,…      docker's CSV syntax
 *   --tmpfs /path[:opts]   a tmpfs
 * Every error is a RackerError (exit 125) naming what was wrong.
 */
export type MountSpec =
  | { kind: 'bind'; source: string; target: string; readOnly: boolean }
  /** `anonymous`: no name was given; the engine creates a volume with a random name (name is '' here) */
  | { kind: 'volume'; name: string; target: string; readOnly: boolean; anonymous: boolean; noCopy: boolean }
  /** size in bytes, mode as a number (0o1777); `flags` are the other allowed mount options (noexec, nosuid, …) */
  | { kind: 'tmpfs'; target: string; size?: number; mode?: number; readOnly: boolean; flags: string[] };

const SHOW = 200;

/** `-v`: which of the three forms it is (src/syntax/volumes.ts reads it), by docker's rules (a source that is not absolute is a volume name). */
export function parseVolumeFlag(spec: string): MountSpec {
  const { source, target, options } = parseVolumeSyntax(spec);
  if (source === undefined) {
    if (options.length) throw new RackerError(`invalid volume '${shown(spec, SHOW)}': an anonymous volume takes no mode`, { hint: 'give a name to mount it read-only: -v NAME:/container/path:ro' });
    return { kind: 'volume', name: '', target: checkVolumeTarget(target), readOnly: false, anonymous: true, noCopy: false };
  }
  const unsupported = (opt: string, supported: string) => new RackerError(`invalid volume mode '${shown(opt, 80)}' in '${shown(spec, SHOW)}'`, { hint: `use ${supported} (comma-separated)` });
  let readOnly = false;
  let noCopy = false;
  // a bind mount: exactly the existing -v rules
  if (source.startsWith('/')) {
    for (const opt of options) {
      if (opt !== 'ro' && opt !== 'rw') throw unsupported(opt, 'ro or rw');
      readOnly = opt === 'ro';
    }
    return { kind: 'bind', source: path.resolve(source), target: checkVolumeTarget(target), readOnly };
  }
  if (!isValidVolumeName(source)) {
    throw new RackerError(`'${shown(source, SHOW)}' includes invalid characters for a volume name, only ${VOLUME_NAME_RULE} are allowed`, { hint: `to mount a host directory, use an absolute path, e.g. -v "$PWD/${shown(source, 80)}:${shown(target, 80)}"` });
  }
  for (const opt of options) {
    if (opt === 'ro' || opt === 'rw') readOnly = opt === 'ro';
    else if (opt === 'nocopy') noCopy = true;
    else throw unsupported(opt, 'ro, rw or nocopy');
  }
  return { kind: 'volume', name: source, target: checkVolumeTarget(target), readOnly, anonymous: false, noCopy };
}

/**
 * One CSV record as Go's encoding/csv reads it (what docker uses for --mount):
 * a field that starts with `"` is quoted, `""` inside it is one quote, and
 * after the closing quote comes a comma or the end. A quote anywhere else is
 * an error, as is a line break.
 */
export function splitCsv(value: string): string[] {
  if (/[\r\n]/.test(value)) throw new RackerError('invalid --mount: it contains a line break');
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (value[i] === '"') {
      i++;
      for (;;) {
        if (i >= value.length) throw new RackerError(`invalid --mount '${shown(value, SHOW)}': a quoted field is not closed`, { hint: 'close it with " (write "" for a quote inside it)' });
        if (value[i] === '"') {
          if (value[i + 1] === '"') { field += '"'; i += 2; continue; }
          i++;
          break;
        }
        field += value[i++];
      }
      if (i < value.length && value[i] !== ',') {
        throw new RackerError(`invalid --mount '${shown(value, SHOW)}': text after a closing quote`, { hint: 'quote the whole field, e.g. "target=/a,b"' });
      }
    } else {
      const end = value.indexOf(',', i);
      field = value.slice(i, end < 0 ? value.length : end);
      i = end < 0 ? value.length : end;
      if (field.includes('"')) throw new RackerError(`invalid --mount '${shown(value, SHOW)}': a quote inside an unquoted field`, { hint: 'quote the whole field, e.g. "target=/a,b", and write "" for a quote inside it' });
    }
    fields.push(field);
    if (i >= value.length) return fields;
    i++; // the comma
  }
}

/** Go's strconv.ParseBool, which docker uses for readonly= and volume-nocopy=. */
function parseBool(key: string, val: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(val)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(val)) return false;
  throw new RackerError(`invalid value for ${key}: '${shown(val, 80)}'`, { hint: 'use true or false' });
}

/** A size as docker's tmpfs-size takes it: bytes, or a number with k, m, g, t or p (powers of 1024; "b" and "i" allowed; src/units.ts). */
export function parseRamSize(val: string, what = 'tmpfs-size'): number {
  const n = parseByteSize(val);
  if (n === undefined || n <= 0) throw new RackerError(`invalid ${what} '${shown(val, 80)}'`, { hint: 'a size such as 64m, 1g or 65536 (bytes)' });
  return n;
}

/** A file mode in octal (tmpfs-mode=1770); at most 07777. */
export function parseOctalMode(val: string, what = 'tmpfs-mode'): number {
  if (!/^[0-7]{1,5}$/.test(val) || parseInt(val, 8) > 0o7777) throw new RackerError(`invalid ${what} '${shown(val, 80)}'`, { hint: 'an octal mode such as 1777 or 0700' });
  return parseInt(val, 8);
}

/** `--mount`: docker's keys; the type defaults to volume, target is required. */
export function parseMountFlag(value: string): MountSpec {
  if (value.includes('\0')) throw new RackerError('--mount contains a NUL byte', { hint: 'paths cannot contain NUL bytes' });
  let type = 'volume';
  let source: string | undefined;
  let target: string | undefined;
  let readOnly = false;
  let noCopy = false;
  let size: number | undefined;
  let mode: number | undefined;
  const given = new Set<string>();
  for (const field of splitCsv(value)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const val = eq < 0 ? undefined : field.slice(eq + 1);
    if (val === undefined && !['readonly', 'ro', 'volume-nocopy'].includes(key)) {
      throw new RackerError(`invalid field '${shown(field, 80)}' in --mount: it must be a key=value pair`, { hint: 'e.g. --mount type=volume,source=data,target=/data' });
    }
    given.add(key);
    switch (key) {
      case 'type': type = val!.toLowerCase(); break;
      case 'source': case 'src': source = val; break;
      case 'target': case 'dst': case 'destination': target = val; break;
      case 'readonly': case 'ro': readOnly = val === undefined ? true : parseBool(key, val); break;
      case 'volume-nocopy': noCopy = val === undefined ? true : parseBool(key, val); break;
      case 'tmpfs-size': size = parseRamSize(val!); break;
      case 'tmpfs-mode': mode = parseOctalMode(val!); break;
      case 'bind-propagation': case 'bind-nonrecursive': case 'volume-driver': case 'volume-label': case 'volume-opt':
      case 'volume-subpath': case 'consistency': case 'bind-recursive': case 'bind-create-src': case 'image-subpath':
        throw new RackerError(`--mount option '${key}' is not supported by racker`, { hint: 'racker knows type, source, target, readonly, volume-nocopy, tmpfs-size and tmpfs-mode' });
      default:
        throw new RackerError(`unexpected key '${shown(key, 80)}' in '${shown(field, 80)}'`, { hint: 'racker knows type, source, target, readonly, volume-nocopy, tmpfs-size and tmpfs-mode' });
    }
  }
  if (!['bind', 'volume', 'tmpfs'].includes(type)) {
    throw new RackerError(`invalid --mount type '${shown(type, 80)}'`, { hint: 'use type=bind, type=volume or type=tmpfs' });
  }
  if (!target) throw new RackerError('--mount: target is required', { hint: 'e.g. --mount type=volume,source=data,target=/data' });
  const mixed = [...given].find(k => (k.startsWith('tmpfs-') && type !== 'tmpfs') || (k.startsWith('volume-') && type !== 'volume'));
  if (mixed) throw new RackerError(`cannot mix '${mixed}' with mount type '${type}'`, { hint: `${mixed.split('-')[0]}-* options go with type=${mixed.split('-')[0]}` });
  if (type === 'tmpfs') {
    if (source) throw new RackerError('--mount type=tmpfs: source must not be given', { hint: 'a tmpfs has no source: --mount type=tmpfs,target=/path' });
    return { kind: 'tmpfs', target: checkVolumeTarget(target), size, mode, readOnly, flags: [] };
  }
  if (type === 'bind') {
    if (!source) throw new RackerError('--mount type=bind: source is required', { hint: 'e.g. --mount type=bind,source=/srv/data,target=/data' });
    checkBindSource(source);
    return { kind: 'bind', ...parseBindParts(source, target, readOnly) };
  }
  if (source === undefined || source === '') {
    return { kind: 'volume', name: '', target: checkVolumeTarget(target), readOnly, anonymous: true, noCopy };
  }
  checkVolumeName(source);
  return { kind: 'volume', name: source, target: checkVolumeTarget(target), readOnly, anonymous: false, noCopy };
}

function checkBindSource(source: string): void {
  if (!source.startsWith('/')) throw new RackerError(`bind source '${shown(source, SHOW)}' is not an absolute path`, { hint: 'give the host path from /, or use type=volume for a named volume' });
}

function checkVolumeName(name: string): void {
  if (!isValidVolumeName(name)) {
    throw new RackerError(`'${shown(name, SHOW)}' includes invalid characters for a volume name, only ${VOLUME_NAME_RULE} are allowed`, { hint: 'to mount a host directory, use type=bind with an absolute source' });
  }
}

/**
 * A bind mount from --mount, held to the rules of -v /host:/path, except that
 * a ':' in a path is fine here (nothing is split; nspawn's --bind escapes it).
 */
function parseBindParts(source: string, target: string, readOnly: boolean): { source: string; target: string; readOnly: boolean } {
  return { source: path.resolve(source), target: checkVolumeTarget(target), readOnly };
}

const TMPFS_HINT = 'use ro, rw, size=64m, mode=1777, uid=N, gid=N, nr_inodes=N, noexec, nosuid, nodev (comma-separated)';
const TMPFS_FLAGS = ['noexec', 'exec', 'nosuid', 'suid', 'nodev', 'dev', 'noatime', 'atime', 'nodiratime', 'diratime', 'relatime', 'norelatime', 'strictatime', 'sync', 'async', 'dirsync'];

/**
 * `--tmpfs /path[:opts]`: opts are mount options, comma-separated; only the
 * known ones are taken (they end up on nspawn's command line): ro, rw,
 * size=, mode=, uid=, gid=, nr_inodes= and the flags above.
 */
export function parseTmpfsFlag(spec: string): MountSpec {
  if (spec.includes('\0')) throw new RackerError('--tmpfs contains a NUL byte', { hint: 'paths cannot contain NUL bytes' });
  const colon = spec.indexOf(':');
  const target = colon < 0 ? spec : spec.slice(0, colon);
  const opts = colon < 0 ? [] : spec.slice(colon + 1).split(',');
  const out: MountSpec & { kind: 'tmpfs' } = { kind: 'tmpfs', target: checkVolumeTarget(target), readOnly: false, flags: [] };
  for (const opt of opts) {
    const eq = opt.indexOf('=');
    const key = eq < 0 ? opt : opt.slice(0, eq);
    const val = opt.slice(eq + 1);
    if (eq < 0 && (key === 'ro' || key === 'rw')) out.readOnly = key === 'ro';
    else if (key === 'size' && eq > 0) out.size = parseRamSize(val, 'tmpfs size');
    else if (key === 'mode' && eq > 0) out.mode = parseOctalMode(val, 'tmpfs mode');
    else out.flags.push(tmpfsFlag(opt));
  }
  return out;
}

/** One of the other tmpfs options as nspawn is given it (uid=007 becomes uid=7), or the refusal. */
function tmpfsFlag(opt: string): string {
  const m = /^(uid|gid|nr_inodes)=(\d{1,10})$/.exec(opt);
  if (m) return `${m[1]}=${Number(m[2])}`;
  if (TMPFS_FLAGS.includes(opt)) return opt;
  throw new RackerError(`invalid tmpfs option '${shown(opt, 80)}'`, { hint: TMPFS_HINT });
}

/**
 * The mounts of a container spec as any client gives them (the API has no
 * flags to parse): held to the rules the parsers above apply, with their words.
 */
export function checkMountInput(volumes: VolumeSpec[], mounts: (VolumeMount | TmpfsMount)[]): void {
  for (const v of volumes) checkBindSource(v.source);
  for (const m of mounts) {
    if (m.kind === 'volume' && !m.anonymous) checkVolumeName(m.name);
    if (m.kind !== 'tmpfs') continue;
    if (m.size !== undefined && (!Number.isSafeInteger(m.size) || m.size <= 0)) throw new RackerError(`invalid tmpfs size '${shown(m.size, 80)}'`, { hint: 'a size such as 64m, 1g or 65536 (bytes)' });
    if (m.mode !== undefined && (!Number.isInteger(m.mode) || m.mode < 0 || m.mode > 0o7777)) throw new RackerError(`invalid tmpfs mode '${shown(m.mode, 80)}'`, { hint: 'an octal mode such as 1777 or 0700' });
    for (const f of m.flags ?? []) {
      if (tmpfsFlag(f) !== f) throw new RackerError(`invalid tmpfs option '${shown(f, 80)}'`, { hint: TMPFS_HINT });
    }
  }
}
