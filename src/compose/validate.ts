import { RackerError } from '../errors.js';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { normalizeSignal, parseLabelFile } from '../engine/parity.js';
import { isValidHostname } from '../model/hostname.js';
import { validateContainerName } from '../model/container.js';
import { readEnvFile } from './env-file.js';
import type { Lookup } from './interpolate.js';
import { keyProblem, NETWORK_KEYS, SERVICE_KEYS, VOLUME_KEYS } from './keys.js';
import { fail, toBool, type RawService, type Where } from './normalize.js';
import { checkAsEngine, runKeys } from './run-keys.js';
import { fileRefs } from './file-refs.js';
import type {
  DependsOn, EnvFile, Healthcheck, NetworkConfig, PortConfig, PullPolicy, RestartPolicy, ServiceConfig, ServiceNetwork, VolumeConfig, VolumeMount,
} from './types.js';

/**
 * Stage "validate": the merged, normalised tree becomes the typed model, with
 * the defaults filled in and every reference checked. Compose keys racker
 * does not support become warnings; errors name the file, service and key.
 */

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
export const NAME_RE = /^[a-zA-Z0-9._-]+$/;

function restartPolicy(where: Where, v: unknown): RestartPolicy {
  if (v === undefined || v === 'no') return { name: 'no' };
  const s = String(v);
  if (s === 'always' || s === 'unless-stopped') return { name: s };
  const m = /^on-failure(?::(\d+))?$/.exec(s);
  if (m) return m[1] === undefined ? { name: 'on-failure' } : { name: 'on-failure', maxRetries: Number(m[1]) };
  return fail(where, 'restart', `unknown policy '${s.slice(0, 80)}'`, 'no, always, unless-stopped, on-failure or on-failure:N');
}

function pullPolicy(where: Where, v: unknown): PullPolicy {
  if (v === undefined || v === 'missing' || v === 'if_not_present') return 'missing';
  if (v === 'always' || v === 'never') return v;
  if (v === 'build') return fail(where, 'pull_policy', 'racker cannot build images', 'use always, never or missing');
  return fail(where, 'pull_policy', `'${String(v).slice(0, 80)}' is not supported`, 'use always, never or missing (if_not_present)');
}

/** stop_signal as --stop-signal takes it (the engine's check and spelling). */
export function stopSignal(where: Where, v: string): string {
  try {
    return normalizeSignal(v, 'stop_signal');
  } catch (err) {
    return fail(where, 'stop_signal', (err as RackerError).message, (err as RackerError).hint);
  }
}

/** The compose healthcheck (durations in ms, as normalize.ts parsed them) as the engine's (ns); start_interval is not the engine's. */
function healthcheck(where: Where, raw: Record<string, unknown>, warnings: string[]): Healthcheck {
  if (raw.disable) return { test: ['NONE'] };
  const ns = (k: string) => (raw[k] === undefined ? undefined : Math.round((raw[k] as number) * 1e6));
  if (raw.start_interval !== undefined) warnings.push(`service "${where.service}": healthcheck.start_interval is not supported by racker and is ignored (checks run every interval)`);
  const h: Healthcheck = {};
  if (raw.test !== undefined) h.test = raw.test as string[];
  if (raw.interval !== undefined) h.interval = ns('interval');
  if (raw.timeout !== undefined) h.timeout = ns('timeout');
  if (raw.start_period !== undefined) h.startPeriod = ns('start_period');
  if (raw.retries !== undefined) h.retries = raw.retries as number;
  return h;
}

const NETWORK_MODE = /^(host|none|bridge|service:[a-zA-Z0-9._-]+|container:[a-zA-Z0-9._-]+)$/;

/** label_file: KEY=VALUE lines, as --label-file reads them; `labels` win over them. */
function labelFiles(where: Where, v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  const files = typeof v === 'string' ? [v] : Array.isArray(v) && v.every(f => typeof f === 'string') ? v as string[] : fail(where, 'label_file', 'expected a path or a list of paths');
  const out: Record<string, string> = {};
  for (const f of files) {
    const file = path.resolve(where.baseDir, f);
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st?.isFile()) fail(where, 'label_file', `${file} is not a file`, 'give the path of a file of KEY=VALUE lines');
    if (st.size > 1024 * 1024) fail(where, 'label_file', `${file} is larger than 1 MiB`);
    try {
      Object.assign(out, Object.fromEntries(parseLabelFile(readFileSync(file, 'utf8'))));
    } catch (err) {
      fail(where, 'label_file', `${file}: ${(err as Error).message}`, (err as RackerError).hint);
    }
  }
  return out;
}

/** One service's typed configuration; `env` resolves environment entries without a value and reads env_file. */
export function validateService(where: Where, raw: RawService, env: Lookup, warnings: string[]): ServiceConfig {
  const name = where.service;
  if (!NAME_RE.test(name)) throw new RackerError(`${where.file}: invalid service name '${name.slice(0, 80)}'`, { hint: 'letters, digits, . _ -' });
  for (const key of Object.keys(raw)) {
    const problem = keyProblem(SERVICE_KEYS, key);
    if (problem && problem !== 'unknown' && problem.status === 'warned') warnings.push(`service "${name}": ${key} is not supported by racker and is ignored${problem.note && !problem.note.startsWith('not supported') ? ` (${problem.note})` : ''}`);
  }
  if (typeof raw.image !== 'string' || raw.image === '') {
    if (raw.build !== undefined) {
      fail(where, 'build', 'racker cannot build images, and the service has no image:', 'build the image elsewhere, push it to a registry, and name it with image:');
    }
    fail(where, 'image', 'the service has no image', 'add image: NAME[:TAG]');
  }
  if (raw.build !== undefined) warnings.push(`service "${name}": build is ignored (racker cannot build images); image ${raw.image} is pulled`);

  const envFiles = (raw.env_file as EnvFile[] | undefined) ?? [];
  const environment: Record<string, string | null> = {};
  for (const f of envFiles) Object.assign(environment, readEnvFile(f.path, f.required, env));
  for (const [k, v] of Object.entries((raw.environment as Record<string, string | null> | undefined) ?? {})) {
    environment[k] = v ?? env(k) ?? null;
  }

  const s: ServiceConfig = {
    name,
    image: raw.image,
    environment,
    env_file: envFiles,
    labels: { ...labelFiles(where, raw.label_file), ...(raw.labels as Record<string, string> | undefined) },
    volumes: (raw.volumes as VolumeMount[] | undefined) ?? [],
    ports: (raw.ports as PortConfig[] | undefined) ?? [],
    expose: (raw.expose as string[] | undefined) ?? [],
    networks: {},
    depends_on: (raw.depends_on as Record<string, DependsOn> | undefined) ?? {},
    restart: restartPolicy(where, raw.restart),
    extra_hosts: Object.entries((raw.extra_hosts as Record<string, string> | undefined) ?? {}),
    dns: (raw.dns as string[] | undefined) ?? [],
    tmpfs: (raw.tmpfs as string[] | undefined) ?? [],
    read_only: !!raw.read_only,
    init: !!raw.init,
    tty: !!raw.tty,
    stdin_open: !!raw.stdin_open,
    pull_policy: pullPolicy(where, raw.pull_policy),
    profiles: (raw.profiles as string[] | undefined) ?? [],
    scale: (raw.scale as number | undefined) ?? 1,
    boot: false,
    ...runKeys(where, raw, warnings),
    secrets: raw.secrets === undefined || raw.secrets === null ? [] : fileRefs(where, 'secrets', raw.secrets),
    configs: raw.configs === undefined || raw.configs === null ? [] : fileRefs(where, 'configs', raw.configs),
  };
  if (raw.command !== undefined) s.command = raw.command as string[];
  if (raw.entrypoint !== undefined) s.entrypoint = raw.entrypoint as string[];
  if (raw.user !== undefined) s.user = raw.user as string;
  if (raw.working_dir !== undefined) {
    if (!(raw.working_dir as string).startsWith('/')) fail(where, 'working_dir', `'${(raw.working_dir as string).slice(0, 80)}' is not an absolute path`);
    s.working_dir = raw.working_dir as string;
  }
  if (raw.hostname !== undefined) {
    if (!isValidHostname(raw.hostname as string)) fail(where, 'hostname', `invalid hostname '${(raw.hostname as string).slice(0, 80)}'`, 'dot-separated labels of letters, digits and dashes, at most 63 characters each');
    s.hostname = raw.hostname as string;
  }
  if (raw.container_name !== undefined) {
    try {
      validateContainerName(raw.container_name as string);
    } catch (err) {
      fail(where, 'container_name', (err as RackerError).message, (err as RackerError).hint);
    }
    if (s.scale > 1) fail(where, 'container_name', `a fixed container name cannot be used with scale ${s.scale}`, 'remove container_name or scale');
    s.container_name = raw.container_name as string;
  }
  if (raw.stop_signal !== undefined) s.stop_signal = stopSignal(where, raw.stop_signal as string);
  if (raw.stop_grace_period !== undefined) s.stop_grace_period = raw.stop_grace_period as number;
  if (raw.healthcheck !== undefined) s.healthcheck = healthcheck(where, raw.healthcheck as Record<string, unknown>, warnings);
  if (raw.network_mode !== undefined) {
    const mode = raw.network_mode as string;
    if (!NETWORK_MODE.test(mode)) fail(where, 'network_mode', `unknown mode '${mode.slice(0, 80)}'`, 'host, none, bridge, service:NAME or container:NAME');
    if (raw.networks !== undefined) fail(where, 'network_mode', 'network_mode and networks cannot both be set', 'keep one of them');
    s.network_mode = mode;
  } else {
    const nets = (raw.networks as Record<string, Partial<ServiceNetwork> | null> | undefined) ?? { default: null };
    for (const [n, cfg] of Object.entries(nets)) s.networks[n] = { ...cfg, aliases: cfg?.aliases ?? [] };
  }
  for (const v of s.volumes) {
    if (v.type === 'tmpfs' && v.read_only) fail(where, 'volumes', `the tmpfs at ${v.target} cannot be read-only`);
  }
  const targets = s.volumes.map(v => v.target);
  const dup = targets.find((t, i) => targets.indexOf(t) !== i);
  if (dup) fail(where, 'volumes', `two mounts at ${dup}`);
  const xr = raw['x-racker'] as Record<string, unknown> | undefined;
  if (xr) {
    s.boot = xr.boot === undefined ? false : toBool(where, 'x-racker.boot', xr.boot);
    for (const k of Object.keys(xr)) if (k !== 'boot') warnings.push(`service "${name}": x-racker.${k} is not a racker setting and is ignored`);
  }
  checkAsEngine(where, s);
  return s;
}

function labelsOf(where: string, v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (Array.isArray(v)) return Object.fromEntries(v.map(x => { const s = String(x); const eq = s.indexOf('='); return eq < 0 ? [s, ''] : [s.slice(0, eq), s.slice(eq + 1)]; }));
  if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x === null ? '' : String(x)]));
  throw new RackerError(`${where}.labels: expected a list or a map`);
}

function checkKeys(table: typeof NETWORK_KEYS, where: string, cfg: Record<string, unknown>, warnings: string[]): void {
  for (const key of Object.keys(cfg)) {
    const problem = keyProblem(table, key);
    if (problem === 'unknown') throw new RackerError(`${where}: ${key}: not a Compose key here`, { hint: `known keys: ${Object.keys(table).join(', ')}` });
    if (problem?.status === 'warned') warnings.push(`${where}: ${key} is not supported by racker and is ignored`);
  }
}

export function validateNetwork(key: string, v: unknown, project: string, warnings: string[]): NetworkConfig {
  const where = `networks.${key}`;
  if (!NAME_RE.test(key)) throw new RackerError(`invalid network name '${key.slice(0, 80)}'`, { hint: 'letters, digits, . _ -' });
  const cfg = v === null || v === undefined ? {} : isMap(v) ? v : (() => { throw new RackerError(`${where}: expected a map or nothing`); })();
  checkKeys(NETWORK_KEYS, where, cfg, warnings);
  const bool = (k: string) => cfg[k] === undefined ? false : toBool({ file: 'networks', service: key, baseDir: '' }, k, cfg[k]);
  const external = bool('external');
  const driver = cfg.driver === undefined ? 'bridge' : String(cfg.driver);
  if (driver !== 'bridge') throw new RackerError(`${where}.driver: '${driver.slice(0, 40)}' is not supported`, { hint: 'racker networks are bridges: remove driver or write bridge' });
  if (external && Object.keys(cfg).some(k => !['external', 'name'].includes(k))) {
    throw new RackerError(`${where}: an external network takes only name`, { hint: 'it is made outside this project; remove the other keys' });
  }
  const subnets: NetworkConfig['subnets'] = [];
  if (cfg.ipam !== undefined) {
    if (!isMap(cfg.ipam)) throw new RackerError(`${where}.ipam: expected a map`);
    for (const k of Object.keys(cfg.ipam)) {
      if (k === 'driver' && cfg.ipam.driver === 'default') continue;
      if (k !== 'config') throw new RackerError(`${where}.ipam.${k}: not supported`, { hint: 'ipam takes config: [{subnet, gateway, ip_range}]' });
    }
    const list = cfg.ipam.config ?? [];
    if (!Array.isArray(list)) throw new RackerError(`${where}.ipam.config: expected a list`);
    for (const [i, c] of list.entries()) {
      if (!isMap(c) || typeof c.subnet !== 'string' || !/^[0-9a-fA-F.:]+\/\d{1,3}$/.test(c.subnet)) throw new RackerError(`${where}.ipam.config[${i}]: expected {subnet: ADDRESS/PREFIX}`);
      for (const k of Object.keys(c)) if (!['subnet', 'gateway', 'ip_range'].includes(k)) throw new RackerError(`${where}.ipam.config[${i}].${k}: not supported`, { hint: 'subnet, gateway, ip_range' });
      subnets.push({ subnet: c.subnet, ...(c.gateway !== undefined ? { gateway: String(c.gateway) } : {}), ...(c.ip_range !== undefined ? { ip_range: String(c.ip_range) } : {}) });
    }
  }
  const name = cfg.name !== undefined ? String(cfg.name) : external ? key : `${project}_${key}`;
  return { name, external, internal: bool('internal'), driver: 'bridge', subnets, labels: labelsOf(where, cfg.labels) };
}

export function validateVolume(key: string, v: unknown, project: string, warnings: string[]): VolumeConfig {
  const where = `volumes.${key}`;
  if (!NAME_RE.test(key)) throw new RackerError(`invalid volume name '${key.slice(0, 80)}'`, { hint: 'letters, digits, . _ -' });
  const cfg = v === null || v === undefined ? {} : isMap(v) ? v : (() => { throw new RackerError(`${where}: expected a map or nothing`); })();
  checkKeys(VOLUME_KEYS, where, cfg, warnings);
  if (cfg.driver !== undefined && cfg.driver !== 'local') throw new RackerError(`${where}.driver: '${String(cfg.driver).slice(0, 40)}' is not supported`, { hint: 'racker volumes are local directories: remove driver' });
  const external = cfg.external === undefined ? false : toBool({ file: 'volumes', service: key, baseDir: '' }, 'external', cfg.external);
  if (external && Object.keys(cfg).some(k => !['external', 'name'].includes(k))) {
    throw new RackerError(`${where}: an external volume takes only name`, { hint: 'it is made outside this project; remove the other keys' });
  }
  const name = cfg.name !== undefined ? String(cfg.name) : external ? key : `${project}_${key}`;
  return { name, external, labels: labelsOf(where, cfg.labels) };
}
