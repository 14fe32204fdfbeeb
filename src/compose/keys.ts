/**
 * Every key of the Compose specification racker knows, and what it does with
 * it: `supported` keys are parsed into the model, `warned` keys are Compose
 * keys racker ignores with a warning naming them, `refused` keys stop the load
 * (ignoring them would run something other than what the file says). A key in
 * no table is not a Compose key: a typo, refused with its file and service.
 * docs/compose.md shows these tables.
 */

export type KeyStatus = 'supported' | 'warned' | 'refused';

/** `note`: what of the key racker takes; `applied`: what `up` does with it (docs/compose.md's "at run time") */
export interface KeyRule { status: KeyStatus; note?: string; applied?: string }

const supported = (note?: string, applied?: string): KeyRule => ({ status: 'supported', note, applied });
const warned = (note = 'not supported by racker, ignored'): KeyRule => ({ status: 'warned', note });

export const SERVICE_KEYS: Record<string, KeyRule> = {
  image: supported(undefined, 'applied (pulled as pull_policy says; curated labels such as debian-bookworm work as in racker run)'),
  command: supported(),
  entrypoint: supported(),
  environment: supported(),
  env_file: supported(),
  working_dir: supported(),
  user: supported(),
  hostname: supported(),
  container_name: supported(),
  labels: supported(undefined, 'applied: stored on the container with compose\'s own (`racker inspect` .Config.Labels)'),
  volumes: supported(undefined, 'applied: bind (a missing source is created), named (`<project>_<key>`, made by up), anonymous, tmpfs (long syntax mode is octal, at most 07777), read-only; `volume.subpath` refused'),
  ports: supported(undefined, 'applied: published on the project\'s first network (`compose port`, `compose ps`)'),
  expose: supported(undefined, 'recorded only (as in docker, it opens nothing)'),
  networks: supported(undefined, 'applied: `<project>_default` and named ones (internal, external, ipam subnet), aliases (the service name always), ipv4_address; ipv6_address ignored'),
  network_mode: supported('host, none, service:NAME, container:NAME', 'applied (service:NAME joins that service\'s container 1)'),
  depends_on: supported(undefined, 'applied: start order, service_started / service_healthy / service_completed_successfully, required: false; `restart: true` not acted on'),
  healthcheck: supported('as --health-*, run by the container\'s supervisor; start_interval warned', 'applied as --health-*: the container\'s supervisor runs it (as for racker run -d); `racker ps`, `racker inspect`, `compose ps`, depends_on and --wait read what it records'),
  restart: supported(undefined, 'warned at up: not acted on (racker has no daemon; see RESTART POLICIES)'),
  stop_signal: supported('as --stop-signal', 'applied as --stop-signal'),
  stop_grace_period: supported(),
  extra_hosts: supported(),
  dns: supported(),
  tmpfs: supported(),
  read_only: supported(),
  init: supported('as --init', 'applied as --init (not with x-racker boot)'),
  tty: supported(),
  stdin_open: supported(),
  pull_policy: supported('always, never, missing (if_not_present)'),
  profiles: supported(),
  scale: supported(undefined, 'applied (containers 1..N)'),
  extends: supported('within the file, or from another file'),
  cap_add: supported('as --cap-add'),
  cap_drop: supported('as --cap-drop'),
  cpus: supported('as --cpus'),
  cpu_shares: supported('as --cpu-shares'),
  devices: supported('as --device'),
  mem_limit: supported('as --memory'),
  memswap_limit: supported('as --memory-swap'),
  mem_reservation: supported('as --memory-reservation'),
  pids_limit: supported('as --pids-limit'),
  privileged: supported('as --privileged'),
  security_opt: supported('as --security-opt: no-new-privileges'),
  shm_size: supported('as --shm-size'),
  sysctls: supported('as --sysctl: namespaced ones'),
  ulimits: supported('as --ulimit'),
  platform: supported('as --platform: the host\'s only'),
  label_file: supported('as --label-file'),
  secrets: supported('short (NAME) and long (source, target, uid, gid, mode) syntax', 'applied: a read-only file at /run/secrets/NAME (or target), bound from a root-only file racker writes outside the container (never into the image or its writable layer)'),
  configs: supported('short (NAME) and long (source, target, uid, gid, mode) syntax', 'applied: a read-only file at the target (default /NAME), bound as secrets are'),
  deploy: supported('resources.limits (cpus, memory, pids) as --cpus, --memory, --pids-limit; resources.reservations.memory as --memory-reservation; other deploy keys warned'),
  'x-racker': supported('boot: true boots systemd in the service', 'applied: boot: true boots systemd; without a healthcheck of its own, healthy once systemd is running'),
  build: { status: 'refused', note: 'racker cannot build images: without image: the service is refused; with image: the image is pulled and build: ignored' },
  annotations: warned(),
  attach: warned(),
  blkio_config: warned(),
  cgroup: warned(),
  cgroup_parent: warned(),
  cpu_count: warned(),
  cpu_percent: warned(),
  cpu_period: warned(),
  cpu_quota: warned(),
  cpu_rt_period: warned(),
  cpu_rt_runtime: warned(),
  cpuset: warned(),
  credential_spec: warned(),
  develop: warned(),
  device_cgroup_rules: warned(),
  dns_opt: warned('racker run has no --dns-option'),
  dns_search: warned('racker run has no --dns-search'),
  domainname: warned(),
  external_links: warned(),
  gpus: warned(),
  group_add: warned('racker run has no --group-add'),
  ipc: warned(),
  isolation: warned(),
  links: warned('services reach each other by name on their networks'),
  logging: warned(),
  mac_address: warned(),
  mem_swappiness: warned(),
  models: warned(),
  oom_kill_disable: warned(),
  oom_score_adj: warned(),
  pid: warned(),
  post_start: warned(),
  pre_stop: warned(),
  provider: warned(),
  runtime: warned(),
  stop_timeout: warned('use stop_grace_period'),
  storage_opt: warned(),
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
  secrets: supported('file, environment, content; a secret\'s content is never printed'),
  configs: supported('file, environment, content'),
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
