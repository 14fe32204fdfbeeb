import type { Device, Healthcheck, Ulimit } from '../engine/parity.js';

/**
 * The typed compose model: what `loadProject` returns and every later stage
 * (config output, the config hash, the container spec, `compose up`) reads.
 * Everything here is normalised: long syntax only, durations in
 * milliseconds (the healthcheck in the engine's nanoseconds: it is the
 * engine's type), sizes in bytes, relative host paths resolved against the
 * project directory. The keys that are `racker run` flags hold the values
 * those flags' parsers make (engine/parity.ts), so both check alike.
 */

export type { Device, Healthcheck, Ulimit };

export type DependsOnCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface DependsOn {
  condition: DependsOnCondition;
  /** false: a missing or failed dependency is only a warning */
  required: boolean;
  /** restart this service when the dependency is restarted */
  restart: boolean;
}

export interface PortConfig {
  /** container port */
  target: number;
  /** host port or range ("8080", "9000-9010"); absent: any free port */
  published?: string;
  host_ip?: string;
  protocol: 'tcp' | 'udp';
  mode?: 'host' | 'ingress';
  name?: string;
  app_protocol?: string;
}

export interface VolumeMount {
  type: 'bind' | 'volume' | 'tmpfs';
  /** bind: absolute host path; volume: the volume's key in the top-level `volumes` (absent: anonymous) */
  source?: string;
  target: string;
  read_only: boolean;
  bind?: { create_host_path: boolean; propagation?: string; selinux?: 'z' | 'Z' };
  volume?: { nocopy: boolean; subpath?: string };
  tmpfs?: { size?: number; mode?: number };
}

export interface ServiceNetwork {
  aliases: string[];
  ipv4_address?: string;
  ipv6_address?: string;
}

/** A service's use of a top-level secret or config: where it appears in the container, and as whom. */
export interface FileRef {
  /** the top-level key */
  source: string;
  /** absolute path in the container (secrets: /run/secrets/<target> when relative or absent) */
  target: string;
  uid?: number;
  gid?: number;
  /** permission bits (default 0444) */
  mode?: number;
}

/** A top-level secret or config: where its content comes from. */
export type FileSource =
  | { file: string }
  | { environment: string }
  | { content: string };

export type RestartPolicy =
  | { name: 'no' }
  | { name: 'always' }
  | { name: 'unless-stopped' }
  | { name: 'on-failure'; maxRetries?: number };

export type PullPolicy = 'always' | 'never' | 'missing';

export interface EnvFile { path: string; required: boolean }

export interface ServiceConfig {
  name: string;
  image: string;
  command?: string[];
  entrypoint?: string[];
  /** resolved: env_file contents, then `environment`; null = named but not set anywhere (left unset) */
  environment: Record<string, string | null>;
  env_file: EnvFile[];
  working_dir?: string;
  user?: string;
  hostname?: string;
  container_name?: string;
  labels: Record<string, string>;
  volumes: VolumeMount[];
  ports: PortConfig[];
  expose: string[];
  /** absent when network_mode is set; else at least the `default` network */
  networks: Record<string, ServiceNetwork>;
  network_mode?: string;
  depends_on: Record<string, DependsOn>;
  healthcheck?: Healthcheck;
  restart: RestartPolicy;
  stop_signal?: string;
  stop_grace_period?: number;
  /** [hostname, address] in file order */
  extra_hosts: [string, string][];
  dns: string[];
  /** "/path" or "/path:options" */
  tmpfs: string[];
  read_only: boolean;
  init: boolean;
  tty: boolean;
  stdin_open: boolean;
  pull_policy: PullPolicy;
  profiles: string[];
  scale: number;
  /** `x-racker: {boot: true}`: boot systemd as PID 1 */
  boot: boolean;
  // the keys below are `racker run` flags (docs/run.md): same parsers, same checks
  cap_add: string[];
  cap_drop: string[];
  /** CPUs (cpus, or deploy.resources.limits.cpus) */
  cpus?: number;
  cpu_shares?: number;
  /** bytes (mem_limit, or deploy.resources.limits.memory) */
  mem_limit?: number;
  /** bytes (mem_reservation, or deploy.resources.reservations.memory) */
  mem_reservation?: number;
  /** bytes of memory + swap; -1 unlimited */
  memswap_limit?: number;
  /** -1: unlimited (pids_limit, or deploy.resources.limits.pids) */
  pids_limit?: number;
  privileged: boolean;
  security_opt: string[];
  /** bytes */
  shm_size?: number;
  sysctls: Record<string, string>;
  ulimits: Ulimit[];
  devices: Device[];
  platform?: string;
  secrets: FileRef[];
  configs: FileRef[];
}

export interface NetworkConfig {
  /** the real network's name: `name:`, the key for external networks, else `<project>_<key>` */
  name: string;
  external: boolean;
  internal: boolean;
  driver: 'bridge';
  subnets: { subnet: string; gateway?: string; ip_range?: string }[];
  labels: Record<string, string>;
}

export interface VolumeConfig {
  /** the real volume's name: `name:`, the key for external volumes, else `<project>_<key>` */
  name: string;
  external: boolean;
  labels: Record<string, string>;
}

export interface Project {
  name: string;
  /** where relative paths and `.env` are resolved */
  workingDir: string;
  /** the files, absolute, in merge order */
  configFiles: string[];
  /** active services only (profiles applied), by name */
  services: Record<string, ServiceConfig>;
  /** services left out because their profiles are not enabled */
  disabledServices: string[];
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeConfig>;
  secrets: Record<string, FileSource>;
  configs: Record<string, FileSource>;
  /** the variables interpolation used (shell environment over .env / --env-file) */
  environment: Record<string, string>;
  /** unsupported keys met while loading, one message each */
  warnings: string[];
}
