import { RackerError } from '../errors.js';
import {
  normalizeCap, parityFor, parseBytes, parseCpus, parseDevice, parseSwap, parseWhole, type Device, type ParityOptions, type Ulimit,
} from '../engine/parity.js';
import { fail, keyValues, toBool, type RawService, type Where } from './normalize.js';
import type { ServiceConfig } from './types.js';

/**
 * The service keys that are `racker run` flags (cap_add, cpus, mem_limit,
 * ulimits, …, and deploy.resources): parsed by the flags' own parsers
 * (engine/parity.ts) into the values the engine stores, and checked by the
 * engine's own `parityFor`, so a compose file and a command line are refused
 * for the same things with the same words (led by the file, service and key).
 */

export type RunKeys = Pick<ServiceConfig,
  'cap_add' | 'cap_drop' | 'cpus' | 'cpu_shares' | 'mem_limit' | 'memswap_limit' | 'mem_reservation' | 'pids_limit' | 'privileged' | 'security_opt' |
  'shm_size' | 'sysctls' | 'ulimits' | 'devices' | 'platform'>;

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The engine's check, its message led by where the value was written. */
function engine<T>(where: Where, key: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof RackerError)) throw err;
    return fail(where, key, err.message, err.hint);
  }
}

const text = (v: unknown) => (typeof v === 'number' ? String(v) : typeof v === 'string' ? v : JSON.stringify(v) ?? '');

function strings(where: Where, key: string, v: unknown): string[] {
  if (!Array.isArray(v) || v.some(x => typeof x !== 'string')) fail(where, key, 'expected a list of strings');
  return v as string[];
}

function ulimits(where: Where, v: unknown): Ulimit[] {
  if (!isMap(v)) fail(where, 'ulimits', 'expected a map such as {nofile: {soft: 1024, hard: 2048}, nproc: 512}');
  const n = (at: string, x: unknown): number | 'infinity' => {
    const s = text(x);
    if (s === '-1') return 'infinity';
    return engine(where, at, () => parseWhole(s, at, 0));
  };
  return Object.entries(v).map(([name, x]) => {
    const at = `ulimits.${name}`;
    if (isMap(x)) {
      for (const k of Object.keys(x)) if (k !== 'soft' && k !== 'hard') fail(where, `${at}.${k}`, 'not an ulimit key', 'soft, hard');
      if (x.soft === undefined || x.hard === undefined) fail(where, at, 'expected both soft and hard');
      return { name, soft: n(`${at}.soft`, x.soft), hard: n(`${at}.hard`, x.hard) };
    }
    const both = n(at, x);
    return { name, soft: both, hard: both };
  });
}

function devices(where: Where, v: unknown): Device[] {
  if (!Array.isArray(v)) fail(where, 'devices', 'expected a list');
  return v.map((d, i) => {
    const at = `devices[${i}]`;
    if (typeof d === 'string') return engine(where, at, () => parseDevice(d));
    if (!isMap(d) || typeof d.source !== 'string') return fail(where, at, 'expected HOST[:CONTAINER[:PERMISSIONS]] or {source, target, permissions}');
    for (const k of Object.keys(d)) if (!['source', 'target', 'permissions'].includes(k)) fail(where, `${at}.${k}`, 'not a device key', 'source, target, permissions');
    return { hostPath: d.source, containerPath: typeof d.target === 'string' && d.target ? d.target : d.source, permissions: d.permissions === undefined ? 'rwm' : text(d.permissions) };
  });
}

/** deploy: resources.limits (cpus, memory, pids) become the limits; every other deploy key is one warning. */
function deploy(where: Where, v: unknown, warnings: string[]): { cpus?: number; memory?: number; pids?: number; reservation?: number } {
  if (!isMap(v)) fail(where, 'deploy', 'expected a map');
  const out: { cpus?: number; memory?: number; pids?: number; reservation?: number } = {};
  const warn = (key: string) => warnings.push(`service "${where.service}": deploy.${key} is not supported by racker and is ignored`);
  for (const [k, x] of Object.entries(v)) {
    if (k !== 'resources') { warn(k); continue; }
    if (!isMap(x)) fail(where, 'deploy.resources', 'expected a map (limits, reservations)');
    for (const [kind, r] of Object.entries(x)) {
      if (kind === 'reservations' && isMap(r)) {
        // a memory floor is --memory-reservation; racker reserves no CPUs or devices
        for (const [key, val] of Object.entries(r)) {
          if (key === 'memory') out.reservation = engine(where, 'deploy.resources.reservations.memory', () => parseBytes(text(val), 'deploy.resources.reservations.memory'));
          else warn(`resources.reservations.${key}`);
        }
        continue;
      }
      if (kind !== 'limits') {
        if (isMap(r)) Object.keys(r).forEach(key => warn(`resources.${kind}.${key}`)); else warn(`resources.${kind}`);
        continue;
      }
      if (!isMap(r)) fail(where, 'deploy.resources.limits', 'expected a map (cpus, memory, pids)');
      for (const [key, val] of Object.entries(r)) {
        const at = `deploy.resources.limits.${key}`;
        if (key === 'cpus') out.cpus = engine(where, at, () => parseCpus(text(val))) / 1e9;
        else if (key === 'memory') out.memory = engine(where, at, () => parseBytes(text(val), at));
        else if (key === 'pids') out.pids = engine(where, at, () => parseWhole(text(val), at, -1));
        else warn(`resources.limits.${key}`);
      }
    }
  }
  return out;
}

/** The same limit written twice (cpus and deploy.resources.limits.cpus) must agree. */
function one<T>(where: Where, key: string, a: T | undefined, b: T | undefined): T | undefined {
  if (a !== undefined && b !== undefined && a !== b) fail(where, key, `${String(a)} differs from deploy.resources.limits (${String(b)})`, 'give the limit once');
  return a ?? b;
}

/** The run-flag keys of one service, parsed and checked as `racker run` checks its flags. */
export function runKeys(where: Where, raw: RawService, warnings: string[]): RunKeys {
  const limits = raw.deploy === undefined ? {} : deploy(where, raw.deploy, warnings);
  const opt = <T>(key: string, parse: (v: unknown) => T): T | undefined => (raw[key] === undefined || raw[key] === null ? undefined : parse(raw[key]));
  const out: RunKeys = {
    cap_add: (opt('cap_add', v => strings(where, 'cap_add', v)) ?? []).map(c => engine(where, 'cap_add', () => normalizeCap(c, 'cap_add'))),
    cap_drop: (opt('cap_drop', v => strings(where, 'cap_drop', v)) ?? []).map(c => engine(where, 'cap_drop', () => normalizeCap(c, 'cap_drop'))),
    privileged: opt('privileged', v => toBool(where, 'privileged', v)) ?? false,
    security_opt: opt('security_opt', v => strings(where, 'security_opt', v)) ?? [],
    sysctls: Object.fromEntries(Object.entries(opt('sysctls', v => keyValues(where, 'sysctls', v, false)) ?? {}).map(([k, x]) => [k, x ?? ''])),
    ulimits: opt('ulimits', v => ulimits(where, v)) ?? [],
    devices: opt('devices', v => devices(where, v)) ?? [],
  };
  const cpus = one(where, 'cpus', opt('cpus', v => engine(where, 'cpus', () => parseCpus(text(v))) / 1e9), limits.cpus);
  const mem = one(where, 'mem_limit', opt('mem_limit', v => engine(where, 'mem_limit', () => parseBytes(text(v), 'mem_limit'))), limits.memory);
  const pids = one(where, 'pids_limit', opt('pids_limit', v => engine(where, 'pids_limit', () => parseWhole(text(v), 'pids_limit', -1))), limits.pids);
  const reservation = one(where, 'mem_reservation', opt('mem_reservation', v => engine(where, 'mem_reservation', () => parseBytes(text(v), 'mem_reservation'))), limits.reservation);
  const swap = opt('memswap_limit', v => engine(where, 'memswap_limit', () => parseSwap(text(v))));
  const shm = opt('shm_size', v => engine(where, 'shm_size', () => parseBytes(text(v), 'shm_size')));
  const shares = opt('cpu_shares', v => engine(where, 'cpu_shares', () => parseWhole(text(v), 'cpu_shares', 0)));
  const platform = opt('platform', v => text(v));
  if (cpus !== undefined) out.cpus = cpus;
  if (mem !== undefined) out.mem_limit = mem;
  if (pids !== undefined) out.pids_limit = pids;
  if (swap !== undefined) out.memswap_limit = swap;
  if (reservation !== undefined) out.mem_reservation = reservation;
  if (shm !== undefined) out.shm_size = shm;
  if (shares !== undefined) out.cpu_shares = shares;
  if (platform !== undefined) out.platform = platform;
  return out;
}

/**
 * The combinations and values the engine refuses (memswap_limit without
 * mem_limit, init with a booted service, an unknown security_opt, …), refused
 * when the file loads rather than at `up`. The platform is left to `up`:
 * `compose config` shows a file for another machine too.
 */
export function checkAsEngine(where: Where, s: ServiceConfig): void {
  engine(where, 'service', () => parityFor({ ...serviceParity(s), platform: undefined }, s.boot ? 'boot' : 'app'));
}

/** Everything of a service that is ParityOptions: the run-flag keys, init, stop_signal, the healthcheck. */
export function serviceParity(s: ServiceConfig): ParityOptions {
  const p = parityOf(s);
  if (s.init) p.init = true;
  if (s.stop_signal !== undefined) p.stopSignal = s.stop_signal;
  if (s.healthcheck) p.healthcheck = s.healthcheck;
  return p;
}

/** The run-flag keys as the engine's ParityOptions (what --cap-add, --cpus, -m, … fill). */
export function parityOf(k: RunKeys): ParityOptions {
  const p: ParityOptions = {};
  if (k.cap_add.length) p.capAdd = k.cap_add;
  if (k.cap_drop.length) p.capDrop = k.cap_drop;
  if (k.cpus !== undefined) p.nanoCpus = Math.round(k.cpus * 1e9);
  if (k.cpu_shares !== undefined) p.cpuShares = k.cpu_shares;
  if (k.mem_limit !== undefined) p.memory = k.mem_limit;
  if (k.memswap_limit !== undefined) p.memorySwap = k.memswap_limit;
  if (k.mem_reservation !== undefined) p.memoryReservation = k.mem_reservation;
  if (k.pids_limit !== undefined) p.pidsLimit = k.pids_limit;
  if (k.privileged) p.privileged = true;
  if (k.security_opt.length) p.securityOpt = k.security_opt;
  if (k.shm_size !== undefined) p.shmSize = k.shm_size;
  if (Object.keys(k.sysctls).length) p.sysctls = k.sysctls;
  if (k.ulimits.length) p.ulimits = k.ulimits;
  if (k.devices.length) p.devices = k.devices;
  if (k.platform !== undefined) p.platform = k.platform;
  return p;
}
