import { configHash } from './hash.js';
import { containerLabels, containerName } from './naming.js';
import type { Healthcheck, PortConfig, Project, PullPolicy, RestartPolicy, ServiceConfig } from './types.js';
import { byText } from '../compare.js';

/**
 * The bridge from the compose model to the engine: one container of a
 * service as docker-run-like options, a pure function of the project, the
 * service and the container's number. Names of networks and volumes are the
 * real ones (`<project>_<key>` or what the file names); times are seconds.
 */

export type RunMount =
  | { type: 'bind'; source: string; target: string; readOnly: boolean; createHostPath: boolean }
  | { type: 'volume'; /** the real volume name; absent: anonymous */ source?: string; target: string; readOnly: boolean; nocopy: boolean; subpath?: string }
  | { type: 'tmpfs'; target: string; size?: number; mode?: number };

export interface RunNetwork { name: string; aliases: string[]; ipv4?: string; ipv6?: string }

export interface RunHealthcheck {
  /** ['NONE']: disabled (also the image's own); ['CMD', …] or ['CMD-SHELL', script]; absent: the image's own */
  test?: string[];
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}

export interface RunOptions {
  image: string;
  /** replaces the image's Cmd when present */
  command?: string[];
  /** replaces the image's Entrypoint when present ([] clears it) */
  entrypoint?: string[];
  /** only variables with a value, in a stable order */
  env: [string, string][];
  workdir?: string;
  user?: string;
  hostname?: string;
  name: string;
  labels: Record<string, string>;
  mounts: RunMount[];
  ports: PortConfig[];
  expose: string[];
  /** empty with networkMode set */
  networks: RunNetwork[];
  /** host, none, bridge, service:NAME, container:NAME */
  networkMode?: string;
  boot: boolean;
  healthcheck?: RunHealthcheck;
  restart: RestartPolicy;
  stopSignal?: string;
  /** seconds */
  stopTimeout?: number;
  extraHosts: [string, string][];
  dns: string[];
  tmpfs: string[];
  readOnly: boolean;
  init: boolean;
  tty: boolean;
  interactive: boolean;
  pullPolicy: PullPolicy;
}

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

function healthcheck(h: Healthcheck | undefined): RunHealthcheck | undefined {
  if (!h) return undefined;
  const out: RunHealthcheck = {};
  if (h.test) out.test = h.test;
  if (h.interval !== undefined) out.interval = seconds(h.interval);
  if (h.timeout !== undefined) out.timeout = seconds(h.timeout);
  if (h.start_period !== undefined) out.startPeriod = seconds(h.start_period);
  if (h.start_interval !== undefined) out.startInterval = seconds(h.start_interval);
  if (h.retries !== undefined) out.retries = h.retries;
  return out;
}

export function toRunOptions(project: Project, service: ServiceConfig, n = 1, opts: { oneoff?: boolean } = {}): RunOptions {
  const hash = configHash(service);
  const out: RunOptions = {
    image: service.image,
    env: Object.entries(service.environment).filter((e): e is [string, string] => e[1] !== null).sort(([a], [b]) => byText(a, b)),
    name: containerName(project.name, service, n),
    labels: containerLabels(project, service, n, hash, opts.oneoff),
    mounts: service.volumes.map((v): RunMount => {
      if (v.type === 'bind') return { type: 'bind', source: v.source!, target: v.target, readOnly: v.read_only, createHostPath: v.bind?.create_host_path ?? false };
      if (v.type === 'tmpfs') return { type: 'tmpfs', target: v.target, ...(v.tmpfs?.size !== undefined ? { size: v.tmpfs.size } : {}), ...(v.tmpfs?.mode !== undefined ? { mode: v.tmpfs.mode } : {}) };
      return {
        type: 'volume', target: v.target, readOnly: v.read_only, nocopy: v.volume?.nocopy ?? false,
        ...(v.source !== undefined ? { source: project.volumes[v.source]?.name ?? v.source } : {}),
        ...(v.volume?.subpath !== undefined ? { subpath: v.volume.subpath } : {}),
      };
    }),
    ports: service.ports,
    expose: service.expose,
    networks: Object.entries(service.networks).sort(([a], [b]) => byText(a, b)).map(([key, n]) => ({
      name: project.networks[key]?.name ?? `${project.name}_${key}`,
      // docker compose makes the service name an alias on every network
      aliases: [...new Set([service.name, ...n.aliases])],
      ...(n.ipv4_address !== undefined ? { ipv4: n.ipv4_address } : {}),
      ...(n.ipv6_address !== undefined ? { ipv6: n.ipv6_address } : {}),
    })),
    boot: service.boot,
    restart: service.restart,
    extraHosts: service.extra_hosts,
    dns: service.dns,
    tmpfs: service.tmpfs,
    readOnly: service.read_only,
    init: service.init,
    tty: service.tty,
    interactive: service.stdin_open,
    pullPolicy: service.pull_policy,
  };
  if (service.command !== undefined) out.command = service.command;
  if (service.entrypoint !== undefined) out.entrypoint = service.entrypoint;
  if (service.working_dir !== undefined) out.workdir = service.working_dir;
  if (service.user !== undefined) out.user = service.user;
  if (service.hostname !== undefined) out.hostname = service.hostname;
  if (service.network_mode !== undefined) out.networkMode = service.network_mode;
  const h = healthcheck(service.healthcheck);
  if (h) out.healthcheck = h;
  if (service.stop_signal !== undefined) out.stopSignal = service.stop_signal;
  if (service.stop_grace_period !== undefined) out.stopTimeout = seconds(service.stop_grace_period);
  return out;
}
