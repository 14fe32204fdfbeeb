/**
 * Every key of the Compose specification racker knows, and what it does with
 * it: `supported` keys are parsed into the model, `warned` keys are Compose
 * keys racker ignores with a warning naming them, `refused` keys stop the load
 * (ignoring them would run something other than what the file says). A key in
 * no table is not a Compose key: a typo, refused with its file and service.
 * docs/compose.md shows these tables.
 */

export type KeyStatus = 'supported' | 'warned' | 'refused';

export interface KeyRule { status: KeyStatus; note?: string }

const supported = (note?: string): KeyRule => ({ status: 'supported', note });
const warned = (note = 'not supported by racker, ignored'): KeyRule => ({ status: 'warned', note });

export const SERVICE_KEYS: Record<string, KeyRule> = {
  image: supported(),
  command: supported(),
  entrypoint: supported(),
  environment: supported(),
  env_file: supported(),
  working_dir: supported(),
  user: supported(),
  hostname: supported(),
  container_name: supported(),
  labels: supported(),
  volumes: supported(),
  ports: supported(),
  expose: supported(),
  networks: supported(),
  network_mode: supported('host, none, service:NAME, container:NAME'),
  depends_on: supported(),
  healthcheck: supported(),
  restart: supported(),
  stop_signal: supported(),
  stop_grace_period: supported(),
  extra_hosts: supported(),
  dns: supported(),
  tmpfs: supported(),
  read_only: supported(),
  init: supported(),
  tty: supported(),
  stdin_open: supported(),
  pull_policy: supported('always, never, missing (if_not_present)'),
  profiles: supported(),
  scale: supported(),
  extends: supported('within the file, or from another file'),
  'x-racker': supported('boot: true boots systemd in the service'),
  build: { status: 'refused', note: 'racker cannot build images: without image: the service is refused; with image: the image is pulled and build: ignored' },
  annotations: warned(),
  attach: warned(),
  blkio_config: warned(),
  cap_add: warned(),
  cap_drop: warned(),
  cgroup: warned(),
  cgroup_parent: warned(),
  configs: warned(),
  cpu_count: warned(),
  cpu_percent: warned(),
  cpu_period: warned(),
  cpu_quota: warned(),
  cpu_rt_period: warned(),
  cpu_rt_runtime: warned(),
  cpu_shares: warned(),
  cpus: warned(),
  cpuset: warned(),
  credential_spec: warned(),
  deploy: warned(),
  develop: warned(),
  device_cgroup_rules: warned(),
  devices: warned(),
  dns_opt: warned(),
  dns_search: warned(),
  domainname: warned(),
  external_links: warned(),
  gpus: warned(),
  group_add: warned(),
  ipc: warned(),
  isolation: warned(),
  label_file: warned(),
  links: warned('services reach each other by name on their networks'),
  logging: warned(),
  mac_address: warned(),
  mem_limit: warned(),
  mem_reservation: warned(),
  mem_swappiness: warned(),
  memswap_limit: warned(),
  models: warned(),
  oom_kill_disable: warned(),
  oom_score_adj: warned(),
  pid: warned(),
  pids_limit: warned(),
  platform: warned(),
  post_start: warned(),
  pre_stop: warned(),
  privileged: warned(),
  provider: warned(),
  runtime: warned(),
  secrets: warned(),
  security_opt: warned(),
  shm_size: warned(),
  stop_timeout: warned('use stop_grace_period'),
  storage_opt: warned(),
  sysctls: warned(),
  ulimits: warned(),
  use_api_socket: warned(),
  userns_mode: warned(),
  uts: warned(),
  volumes_from: warned(),
};

export const TOP_LEVEL_KEYS: Record<string, KeyRule> = {
  name: supported(),
  services: supported(),
  networks: supported('driver bridge only; external, internal, name, labels, ipam subnets'),
  volumes: supported('driver local only; external, name, labels'),
  version: warned('obsolete, ignored'),
  configs: warned(),
  secrets: warned(),
  models: warned(),
  include: { status: 'refused', note: 'not supported yet: merge the files with -f instead' },
};

export const NETWORK_KEYS: Record<string, KeyRule> = {
  name: supported(), external: supported(), internal: supported(), driver: supported('bridge only'), ipam: supported('config: subnet, gateway, ip_range'), labels: supported(),
  attachable: warned(), driver_opts: warned(), enable_ipv4: warned(), enable_ipv6: warned(),
};

export const VOLUME_KEYS: Record<string, KeyRule> = {
  name: supported(), external: supported(), labels: supported(), driver: supported('local only'), driver_opts: warned(),
};

/** What the loader says about a key it met: undefined for supported keys. */
export function keyProblem(table: Record<string, KeyRule>, key: string): KeyRule | 'unknown' | undefined {
  if (key.startsWith('x-') && key !== 'x-racker') return undefined;
  const rule = table[key];
  if (!rule) return 'unknown';
  return rule.status === 'supported' ? undefined : rule;
}
