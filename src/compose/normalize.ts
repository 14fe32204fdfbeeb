import os from 'node:os';
import path from 'node:path';
import { RackerError } from '../errors.js';
import { parseOctalMode, parsePortSyntax, parseVolumeSyntax } from '../engine/flags.js';
import { parseByteSize } from '../units.js';
import { parseDuration } from './duration.js';
import { keyProblem, SERVICE_KEYS } from './keys.js';
import type { DependsOn, EnvFile, PortConfig, ServiceNetwork, VolumeMount } from './types.js';

/**
 * Stage "normalise": one service of one file, short syntax turned into long,
 * before files are merged (so merging compares like with like). The result
 * is still partial (an override file holds fragments); validate.ts types it.
 */

export interface Where {
  file: string;
  service: string;
  /** relative host paths are resolved against this */
  baseDir: string;
}

export type RawService = Record<string, unknown>;

export function fail(where: Where, key: string, message: string, hint?: string): never {
  throw new RackerError(`${where.file}: service "${where.service}": ${key}: ${message}`, { hint });
}

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function scalar(where: Where, key: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return fail(where, key, `expected a string, found ${v === null ? 'nothing' : Array.isArray(v) ? 'a list' : typeof v}`);
}

export function toBool(where: Where, key: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'yes') return true;
  if (v === 'false' || v === 'no') return false;
  return fail(where, key, `expected true or false, found '${String(v).slice(0, 80)}'`);
}

export function toInt(where: Where, key: string, v: unknown, min = 0): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min) fail(where, key, `expected a whole number of at least ${min}, found '${String(v).slice(0, 80)}'`);
  return n;
}

function stringList(where: Where, key: string, v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) return fail(where, key, 'expected a string or a list of strings');
  return v.map((x, i) => scalar(where, `${key}[${i}]`, x));
}

/**
 * A command written as one string is split as a POSIX shell splits words
 * (quotes and backslashes), never run through a shell.
 */
export function splitWords(s: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote === "'") {
      if (c === "'") quote = undefined; else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < s.length && '"\\$`\n'.includes(s[i + 1])) word += s[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c; inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      word += s[++i]; inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = ''; inWord = false;
    } else {
      word += c; inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

function commandLike(where: Where, key: string, v: unknown): string[] {
  if (v === null) return [];
  if (Array.isArray(v)) return v.map((x, i) => scalar(where, `${key}[${i}]`, x));
  try {
    return splitWords(scalar(where, key, v));
  } catch (err) {
    return fail(where, key, (err as Error).message, 'close the quote, or write the command as a list');
  }
}

/** `environment` and `labels`: a list of KEY=VALUE (KEY alone: no value) or a map. */
export function keyValues(where: Where, key: string, v: unknown, allowNull: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const s = scalar(where, `${key}[${i}]`, item);
      const eq = s.indexOf('=');
      if (eq === 0) fail(where, `${key}[${i}]`, `'${s.slice(0, 80)}' has no name before '='`);
      if (eq < 0) out[s] = allowNull ? null : '';
      else out[s.slice(0, eq)] = s.slice(eq + 1);
    });
  } else if (isMap(v)) {
    for (const [k, x] of Object.entries(v)) out[k] = x === null ? (allowNull ? null : '') : scalar(where, `${key}.${k}`, x);
  } else {
    fail(where, key, 'expected a list of KEY=VALUE or a map');
  }
  return out;
}

function hostPath(where: Where, p: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(os.homedir(), p.slice(1));
  return path.resolve(where.baseDir, p);
}

function envFiles(where: Where, v: unknown): EnvFile[] {
  const items = typeof v === 'string' || isMap(v) ? [v] : Array.isArray(v) ? v : fail(where, 'env_file', 'expected a path or a list');
  return items.map((item, i) => {
    const at = `env_file[${i}]`;
    if (isMap(item)) {
      if (typeof item.path !== 'string') fail(where, `${at}.path`, 'expected a path');
      if (item.format !== undefined && item.format !== 'raw') fail(where, `${at}.format`, `unknown format '${String(item.format)}'`, 'the only format is raw (or leave it out)');
      return { path: hostPath(where, item.path), required: item.required === undefined ? true : toBool(where, `${at}.required`, item.required) };
    }
    return { path: hostPath(where, scalar(where, at, item)), required: true };
  });
}

/** A syntax error from the shared parsers (src/syntax/) as this key's error. */
function syntax<T>(where: Where, at: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof RackerError)) throw err;
    return fail(where, at, err.message, err.hint);
  }
}

/** `[[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL]` (src/syntax/ports.ts), ranges expanded one port each (as docker compose). */
export function parsePortShort(where: Where, at: string, s: string): PortConfig[] {
  const p = syntax(where, at, () => parsePortSyntax(s));
  const [t0, t1] = p.containerPorts;
  const base = { protocol: p.protocol, ...(p.hostIp !== undefined ? { host_ip: p.hostIp } : {}) };
  if (!p.hostPorts) return Array.from({ length: t1 - t0 + 1 }, (_, i) => ({ target: t0 + i, ...base }));
  const [p0, p1] = p.hostPorts;
  // one container port, a host range: any free port of the range
  if (t1 === t0) return [{ target: t0, published: p0 === p1 ? String(p0) : `${p0}-${p1}`, ...base }];
  return Array.from({ length: t1 - t0 + 1 }, (_, i) => ({ target: t0 + i, published: String(p0 + i), ...base }));
}

function ports(where: Where, v: unknown): PortConfig[] {
  if (!Array.isArray(v)) fail(where, 'ports', 'expected a list');
  return v.flatMap((item, i): PortConfig[] => {
    const at = `ports[${i}]`;
    if (!isMap(item)) return parsePortShort(where, at, scalar(where, at, item));
    const target = toInt(where, `${at}.target`, item.target, 1);
    const protocol = item.protocol === undefined ? 'tcp' : scalar(where, `${at}.protocol`, item.protocol);
    if (protocol !== 'tcp' && protocol !== 'udp') fail(where, `${at}.protocol`, `unknown protocol '${protocol}'`, 'tcp or udp');
    const mode = item.mode === undefined ? undefined : scalar(where, `${at}.mode`, item.mode);
    if (mode !== undefined && mode !== 'host' && mode !== 'ingress') fail(where, `${at}.mode`, `unknown mode '${mode}'`, 'host or ingress');
    const published = item.published === undefined || item.published === null ? undefined : scalar(where, `${at}.published`, item.published);
    if (published !== undefined && !/^\d+(-\d+)?$/.test(published)) fail(where, `${at}.published`, `invalid host port '${published}'`, 'a port or a range such as 9000-9010');
    if (target > 65535) fail(where, `${at}.target`, `port ${target} is out of range`);
    const out: PortConfig = { target, protocol };
    if (published !== undefined) out.published = published;
    if (item.host_ip !== undefined) out.host_ip = scalar(where, `${at}.host_ip`, item.host_ip);
    if (mode) out.mode = mode;
    if (item.name !== undefined) out.name = scalar(where, `${at}.name`, item.name);
    if (item.app_protocol !== undefined) out.app_protocol = scalar(where, `${at}.app_protocol`, item.app_protocol);
    return [out];
  });
}

const isPathSource = (s: string) => s.startsWith('/') || s.startsWith('.') || s.startsWith('~');

/** `[SOURCE:]TARGET[:MODE]` (src/syntax/volumes.ts): a path source is a bind mount (created when missing), a name a named volume, none an anonymous volume. */
export function parseVolumeShort(where: Where, at: string, s: string): VolumeMount {
  const { source, target, options: mode } = syntax(where, at, () => parseVolumeSyntax(s));
  const readOnly = mode.includes('ro');
  if (source !== undefined && isPathSource(source)) {
    const propagation = mode.find(m => m.includes('shared') || m.includes('slave') || m.includes('private'));
    const selinux = mode.find(m => m === 'z' || m === 'Z') as 'z' | 'Z' | undefined;
    return {
      type: 'bind', source: hostPath(where, source), target, read_only: readOnly,
      bind: { create_host_path: true, ...(propagation ? { propagation } : {}), ...(selinux ? { selinux } : {}) },
    };
  }
  return { type: 'volume', ...(source !== undefined ? { source } : {}), target, read_only: readOnly, volume: { nocopy: mode.includes('nocopy') } };
}

function volumes(where: Where, v: unknown): VolumeMount[] {
  if (!Array.isArray(v)) fail(where, 'volumes', 'expected a list');
  return v.map((item, i): VolumeMount => {
    const at = `volumes[${i}]`;
    if (!isMap(item)) return parseVolumeShort(where, at, scalar(where, at, item));
    const type = scalar(where, `${at}.type`, item.type ?? 'volume');
    if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') fail(where, `${at}.type`, `volume type '${type}' is not supported`, 'bind, volume or tmpfs');
    if (typeof item.target !== 'string' || !item.target.startsWith('/')) fail(where, `${at}.target`, 'expected an absolute container path');
    const out: VolumeMount = { type, target: item.target, read_only: item.read_only === undefined ? false : toBool(where, `${at}.read_only`, item.read_only) };
    const source = item.source === undefined || item.source === null ? undefined : scalar(where, `${at}.source`, item.source);
    if (type === 'bind') {
      if (source === undefined) fail(where, `${at}.source`, 'a bind mount needs a source path');
      const b = isMap(item.bind) ? item.bind : {};
      out.source = hostPath(where, source);
      out.bind = { create_host_path: b.create_host_path === undefined ? false : toBool(where, `${at}.bind.create_host_path`, b.create_host_path) };
      if (b.propagation !== undefined) out.bind.propagation = scalar(where, `${at}.bind.propagation`, b.propagation);
      if (b.selinux !== undefined) {
        if (b.selinux !== 'z' && b.selinux !== 'Z') fail(where, `${at}.bind.selinux`, 'expected z or Z');
        out.bind.selinux = b.selinux;
      }
    } else if (type === 'volume') {
      if (source !== undefined) out.source = source;
      const vol = isMap(item.volume) ? item.volume : {};
      out.volume = { nocopy: vol.nocopy === undefined ? false : toBool(where, `${at}.volume.nocopy`, vol.nocopy) };
      if (vol.subpath !== undefined) out.volume.subpath = scalar(where, `${at}.volume.subpath`, vol.subpath);
    } else {
      if (source !== undefined) fail(where, `${at}.source`, 'a tmpfs mount has no source');
      const t = isMap(item.tmpfs) ? item.tmpfs : {};
      out.tmpfs = {};
      if (t.size !== undefined) out.tmpfs.size = byteSize(where, `${at}.tmpfs.size`, t.size);
      if (t.mode !== undefined) out.tmpfs.mode = tmpfsMode(where, `${at}.tmpfs.mode`, t.mode);
    }
    return out;
  });
}

/** A tmpfs mode: a YAML number (0o1777) as it is, a string ("1777") in octal as --tmpfs mode= takes it; never more than 07777. */
function tmpfsMode(where: Where, key: string, v: unknown): number {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0 || v > 0o7777) fail(where, key, `invalid mode ${v}`, 'an octal mode such as "1777" (quoted) or 0o1777');
    return v;
  }
  try {
    return parseOctalMode(scalar(where, key, v), 'mode');
  } catch (err) {
    return fail(where, key, (err as RackerError).message, (err as RackerError).hint);
  }
}

/** 1024, "64m", "1g", "512k", "100b" → bytes */
export function byteSize(where: Where, key: string, v: unknown): number {
  const n = typeof v === 'number' || typeof v === 'string' ? parseByteSize(String(v)) : undefined;
  if (n === undefined) fail(where, key, `invalid size '${String(v).slice(0, 80)}'`, 'a number of bytes or e.g. 64m, 1g');
  return n!;
}

function networks(where: Where, v: unknown): Record<string, Partial<ServiceNetwork> | null> {
  const out: Record<string, Partial<ServiceNetwork> | null> = {};
  if (Array.isArray(v)) {
    v.forEach((n, i) => { out[scalar(where, `networks[${i}]`, n)] = null; });
    return out;
  }
  if (!isMap(v)) fail(where, 'networks', 'expected a list of network names or a map');
  for (const [name, cfg] of Object.entries(v)) {
    if (cfg === null) { out[name] = null; continue; }
    if (!isMap(cfg)) fail(where, `networks.${name}`, 'expected a map (aliases, ipv4_address) or nothing');
    const n: Partial<ServiceNetwork> = {};
    for (const k of Object.keys(cfg)) {
      if (!['aliases', 'ipv4_address', 'ipv6_address'].includes(k)) fail(where, `networks.${name}.${k}`, 'not supported', 'aliases, ipv4_address, ipv6_address');
    }
    if (cfg.aliases !== undefined) n.aliases = stringList(where, `networks.${name}.aliases`, cfg.aliases);
    if (cfg.ipv4_address !== undefined) n.ipv4_address = scalar(where, `networks.${name}.ipv4_address`, cfg.ipv4_address);
    if (cfg.ipv6_address !== undefined) n.ipv6_address = scalar(where, `networks.${name}.ipv6_address`, cfg.ipv6_address);
    out[name] = n;
  }
  return out;
}

const CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'];

function dependsOn(where: Where, v: unknown): Record<string, DependsOn> {
  const out: Record<string, DependsOn> = {};
  if (Array.isArray(v)) {
    v.forEach((s, i) => { out[scalar(where, `depends_on[${i}]`, s)] = { condition: 'service_started', required: true, restart: false }; });
    return out;
  }
  if (!isMap(v)) fail(where, 'depends_on', 'expected a list of services or a map');
  for (const [name, cfg] of Object.entries(v)) {
    const c = isMap(cfg) ? cfg : cfg === null ? {} : fail(where, `depends_on.${name}`, 'expected a map (condition, required, restart)');
    const condition = c.condition === undefined ? 'service_started' : scalar(where, `depends_on.${name}.condition`, c.condition);
    if (!CONDITIONS.includes(condition)) fail(where, `depends_on.${name}.condition`, `unknown condition '${condition}'`, CONDITIONS.join(', '));
    out[name] = {
      condition: condition as DependsOn['condition'],
      required: c.required === undefined ? true : toBool(where, `depends_on.${name}.required`, c.required),
      restart: c.restart === undefined ? false : toBool(where, `depends_on.${name}.restart`, c.restart),
    };
  }
  return out;
}

function healthcheck(where: Where, v: unknown): Record<string, unknown> {
  if (!isMap(v)) fail(where, 'healthcheck', 'expected a map');
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const at = `healthcheck.${k}`;
    if (k === 'test') {
      if (typeof x === 'string') out.test = ['CMD-SHELL', x];
      else {
        const test = stringList(where, at, x);
        if (!['CMD', 'CMD-SHELL', 'NONE'].includes(test[0] ?? '')) fail(where, at, `a list test starts with CMD, CMD-SHELL or NONE, not '${(test[0] ?? '').slice(0, 40)}'`, 'e.g. ["CMD", "pg_isready"] or a string for the shell');
        if (test[0] === 'CMD-SHELL' && test.length !== 2) fail(where, at, 'CMD-SHELL takes exactly one string, the script');
        if (test[0] === 'CMD' && test.length < 2) fail(where, at, 'CMD needs a command after it');
        out.test = test;
      }
    } else if (['interval', 'timeout', 'start_period', 'start_interval'].includes(k)) {
      out[k] = duration(where, at, x);
    } else if (k === 'retries') {
      out.retries = toInt(where, at, x);
    } else if (k === 'disable') {
      out.disable = toBool(where, at, x);
    } else {
      fail(where, at, 'not a healthcheck key', 'test, interval, timeout, retries, start_period, start_interval, disable');
    }
  }
  return out;
}

function duration(where: Where, key: string, v: unknown): number {
  try {
    return parseDuration(v);
  } catch (err) {
    return fail(where, key, (err as Error).message, 'a duration such as 30s, 1m30s, 500ms');
  }
}

function extraHosts(where: Where, v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isMap(v)) {
    for (const [h, ip] of Object.entries(v)) out[h] = Array.isArray(ip) ? ip.map(String).join(',') : scalar(where, `extra_hosts.${h}`, ip);
    return out;
  }
  stringList(where, 'extra_hosts', v).forEach((s, i) => {
    const sep = /[=:]/.exec(s);
    if (!sep || sep.index === 0 || sep.index === s.length - 1) fail(where, `extra_hosts[${i}]`, `invalid entry '${s.slice(0, 80)}'`, 'HOSTNAME=IP or HOSTNAME:IP');
    out[s.slice(0, sep.index)] = s.slice(sep.index + 1).replace(/^\[(.*)\]$/, '$1');
  });
  return out;
}

/** One service of one file, short syntax made long; unknown keys refused here with their file and service. */
export function normalizeService(where: Where, raw: unknown): RawService {
  if (raw === null) return {};
  if (!isMap(raw)) fail(where, '(service)', 'expected a map of keys');
  const out: RawService = {};
  for (const [key, v] of Object.entries(raw)) {
    if (keyProblem(SERVICE_KEYS, key) === 'unknown') {
      fail(where, key, 'not a Compose service key', 'check the spelling (docs/compose.md lists the keys); custom keys start with x-');
    }
    if (key.startsWith('x-') && key !== 'x-racker') continue;
    switch (key) {
      case 'command': case 'entrypoint': out[key] = commandLike(where, key, v); break;
      case 'environment': out[key] = keyValues(where, key, v, true); break;
      case 'labels': out[key] = keyValues(where, key, v, false); break;
      case 'env_file': out[key] = envFiles(where, v); break;
      case 'volumes': out[key] = volumes(where, v); break;
      case 'ports': out[key] = ports(where, v); break;
      case 'expose': out[key] = stringList(where, key, Array.isArray(v) ? v : [v]).map((e, i) => {
        if (!/^\d+(-\d+)?(\/(tcp|udp))?$/.test(e)) fail(where, `expose[${i}]`, `invalid port '${e.slice(0, 80)}'`, 'a port, a range, optionally /tcp or /udp');
        return e;
      }); break;
      case 'networks': out[key] = networks(where, v); break;
      case 'depends_on': out[key] = dependsOn(where, v); break;
      case 'healthcheck': out[key] = healthcheck(where, v); break;
      case 'extra_hosts': out[key] = extraHosts(where, v); break;
      case 'dns': case 'tmpfs': case 'profiles': out[key] = stringList(where, key, v); break;
      case 'stop_grace_period': out[key] = duration(where, key, v); break;
      case 'read_only': case 'init': case 'tty': case 'stdin_open': out[key] = toBool(where, key, v); break;
      case 'scale': out[key] = toInt(where, key, v); break;
      case 'user': case 'image': case 'working_dir': case 'hostname': case 'container_name': case 'network_mode':
      case 'stop_signal': case 'pull_policy':
        out[key] = scalar(where, key, v); break;
      case 'restart': out[key] = v === false ? 'no' : scalar(where, key, v); break;
      case 'extends':
        if (typeof v === 'string') out[key] = { service: v };
        else if (isMap(v) && typeof v.service === 'string') out[key] = { service: v.service, ...(v.file !== undefined ? { file: scalar(where, 'extends.file', v.file) } : {}) };
        else fail(where, key, 'expected a service name or {service, file}');
        break;
      case 'x-racker':
        if (!isMap(v)) fail(where, key, 'expected a map such as {boot: true}');
        out[key] = { ...v, ...(v.boot !== undefined ? { boot: toBool(where, 'x-racker.boot', v.boot) } : {}) };
        break;
      default:
        // build and the warned keys: kept as written, validate.ts decides
        out[key] = v;
    }
  }
  return out;
}
