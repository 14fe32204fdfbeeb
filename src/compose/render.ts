import { stringify } from 'yaml';
import { formatDuration } from './duration.js';
import { configHash } from './hash.js';
import type { FileRef, FileSource, Project, RestartPolicy, ServiceConfig } from './types.js';
import { byText } from '../compare.js';

/**
 * `compose config`: the normalised project as docker compose prints it
 * (long syntax, durations as Go writes them, keys sorted), as a plain tree
 * for YAML or JSON.
 */

function restart(r: RestartPolicy): string {
  return r.name === 'on-failure' && r.maxRetries !== undefined ? `on-failure:${r.maxRetries}` : r.name;
}

function sortKeys<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined).sort(([a], [b]) => byText(a, b))) as T;
}

function service(s: ServiceConfig): Record<string, unknown> {
  const h = s.healthcheck;
  return sortKeys({
    image: s.image,
    command: s.command,
    entrypoint: s.entrypoint,
    environment: Object.keys(s.environment).length ? sortKeys(s.environment) : undefined,
    env_file: s.env_file.length ? s.env_file : undefined,
    working_dir: s.working_dir,
    user: s.user,
    hostname: s.hostname,
    container_name: s.container_name,
    labels: Object.keys(s.labels).length ? sortKeys(s.labels) : undefined,
    volumes: s.volumes.length ? s.volumes : undefined,
    ports: s.ports.length ? s.ports : undefined,
    expose: s.expose.length ? s.expose : undefined,
    networks: s.network_mode ? undefined : Object.fromEntries(Object.entries(s.networks).sort(([a], [b]) => byText(a, b)).map(([k, n]) => [k, n.aliases.length || n.ipv4_address || n.ipv6_address ? sortKeys({ ...n, aliases: n.aliases.length ? n.aliases : undefined }) : null])),
    network_mode: s.network_mode,
    depends_on: Object.keys(s.depends_on).length ? sortKeys(s.depends_on) : undefined,
    healthcheck: h ? sortKeys({
      test: h.test, retries: h.retries,
      interval: nsDuration(h.interval),
      timeout: nsDuration(h.timeout),
      start_period: nsDuration(h.startPeriod),
    }) : undefined,
    restart: s.restart.name === 'no' ? undefined : restart(s.restart),
    stop_signal: s.stop_signal,
    stop_grace_period: s.stop_grace_period === undefined ? undefined : formatDuration(s.stop_grace_period),
    extra_hosts: s.extra_hosts.length ? s.extra_hosts.map(([host, ip]) => `${host}=${ip}`) : undefined,
    dns: s.dns.length ? s.dns : undefined,
    tmpfs: s.tmpfs.length ? s.tmpfs : undefined,
    read_only: s.read_only || undefined,
    init: s.init || undefined,
    tty: s.tty || undefined,
    stdin_open: s.stdin_open || undefined,
    pull_policy: s.pull_policy === 'missing' ? undefined : s.pull_policy,
    profiles: s.profiles.length ? s.profiles : undefined,
    scale: s.scale === 1 ? undefined : s.scale,
    'x-racker': s.boot ? { boot: true } : undefined,
    cap_add: s.cap_add.length ? s.cap_add : undefined,
    cap_drop: s.cap_drop.length ? s.cap_drop : undefined,
    cpus: s.cpus,
    cpu_shares: s.cpu_shares,
    mem_limit: s.mem_limit === undefined ? undefined : String(s.mem_limit),
    mem_reservation: s.mem_reservation === undefined ? undefined : String(s.mem_reservation),
    memswap_limit: s.memswap_limit === undefined ? undefined : String(s.memswap_limit),
    pids_limit: s.pids_limit,
    privileged: s.privileged || undefined,
    security_opt: s.security_opt.length ? s.security_opt : undefined,
    shm_size: s.shm_size === undefined ? undefined : String(s.shm_size),
    sysctls: Object.keys(s.sysctls).length ? sortKeys(s.sysctls) : undefined,
    ulimits: s.ulimits.length ? Object.fromEntries(s.ulimits.map(u => [u.name, u.soft === u.hard ? limit(u.soft) : { soft: limit(u.soft), hard: limit(u.hard) }])) : undefined,
    devices: s.devices.length ? s.devices.map(d => ({ source: d.hostPath, target: d.containerPath, permissions: d.permissions })) : undefined,
    platform: s.platform,
    secrets: s.secrets.length ? s.secrets.map(fileRef) : undefined,
    configs: s.configs.length ? s.configs.map(fileRef) : undefined,
  });
}

const nsDuration = (ns: number | undefined) => (ns === undefined ? undefined : formatDuration(ns / 1e6));
const limit = (n: number | 'infinity') => (n === 'infinity' ? -1 : n);
const fileRef = (r: FileRef) => sortKeys({ source: r.source, target: r.target, uid: r.uid === undefined ? undefined : String(r.uid), gid: r.gid === undefined ? undefined : String(r.gid), mode: r.mode });

/**
 * A top-level secret or config as its definition: the file or the variable's
 * name, never a secret's value (a secret written inline as content: is
 * shown as hidden); a config's content is shown.
 */
function fileSource(kind: 'secrets' | 'configs', f: FileSource): Record<string, unknown> {
  if ('file' in f) return { file: f.file };
  if ('environment' in f) return { environment: f.environment };
  return { content: kind === 'secrets' ? '(hidden)' : f.content };
}

export function projectTree(p: Project): Record<string, unknown> {
  const byName = <T>(o: Record<string, T>, f: (v: T) => unknown) => Object.fromEntries(Object.keys(o).sort().map(k => [k, f(o[k])]));
  return sortKeys({
    name: p.name,
    services: byName(p.services, service),
    networks: Object.keys(p.networks).length ? byName(p.networks, n => sortKeys({
      name: n.name, external: n.external || undefined, internal: n.internal || undefined,
      ipam: n.subnets.length ? { config: n.subnets } : undefined, labels: Object.keys(n.labels).length ? n.labels : undefined,
    })) : undefined,
    volumes: Object.keys(p.volumes).length ? byName(p.volumes, v => sortKeys({
      name: v.name, external: v.external || undefined, labels: Object.keys(v.labels).length ? v.labels : undefined,
    })) : undefined,
    secrets: Object.keys(p.secrets).length ? byName(p.secrets, f => fileSource('secrets', f)) : undefined,
    configs: Object.keys(p.configs).length ? byName(p.configs, f => fileSource('configs', f)) : undefined,
  });
}

export function renderYaml(p: Project): string {
  return stringify(projectTree(p), { lineWidth: 0, aliasDuplicateObjects: false });
}

export function renderJson(p: Project): string {
  return JSON.stringify(projectTree(p), null, 2) + '\n';
}

/** `--hash SERVICE,…` or `--hash '*'`: "service hash" lines. */
export function renderHashes(p: Project, which: string): string {
  const names = which === '*' ? Object.keys(p.services).sort() : which.split(',').map(s => s.trim()).filter(Boolean);
  return names.map(n => `${n} ${configHash(p.services[n])}\n`).join('');
}
