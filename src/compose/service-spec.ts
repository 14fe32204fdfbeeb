import path from 'node:path';
import { RackerError } from '../errors.js';
import type { ContainerSpecInput } from '../engine/spec.js';
import { parseTmpfsFlag } from '../engine/flags.js';
import type { TmpfsMount, VolumeMount, VolumeSpec } from '../model/mounts.js';
import { byText } from '../compare.js';
import { configHash } from './hash.js';
import { containerLabels, containerName } from './naming.js';
import { serviceParity } from './run-keys.js';
import type { FileRef, Project, ServiceConfig } from './types.js';

/**
 * One container of a service as the engine's ContainerSpecInput, in one
 * step from the typed service: the fields `racker run`'s flags fill, filled
 * from the same typed values. A pure function, so `up`, `run` and the tests
 * see the same mapping; it also says which secret and config files the
 * container needs (written by secrets.ts before the container is made) and
 * what racker does not act on.
 */

export interface ServiceSpecOptions {
  /** a one-off container of `compose run`: its name; the service's aliases only with --use-aliases */
  oneoff?: { name: string; aliases?: boolean };
  /** replaces the service's command */
  command?: string[];
  /** racker-owned folder the container's secret and config files are written under (secrets.ts) */
  filesDir?: string;
  /** the container boots systemd (x-racker boot, or a curated OS image the engine boots) */
  boots?: boolean;
}

/** A secret or config the container gets: `hostPath` is a file racker writes, bound read-only at `ref.target`. */
export interface ServiceFile { kind: 'secret' | 'config'; ref: FileRef; hostPath: string }

/** A booted service without a healthcheck is healthy once systemd has finished starting (running, or degraded). */
export const SYSTEMD_HEALTHCHECK = {
  test: ['CMD-SHELL', 'case "$(systemctl is-system-running)" in running|degraded) exit 0;; esac; exit 1'],
  interval: 2e9, timeout: 10e9, retries: 3, startPeriod: 60e9,
};

export function serviceSpec(project: Project, service: ServiceConfig, n = 1, opts: ServiceSpecOptions = {}): { input: ContainerSpecInput; files: ServiceFile[]; warnings: string[] } {
  const warnings: string[] = [];
  const where = `service ${service.name}`;
  // compose's entrypoint is a list, the engine's one word and the rest goes before the command
  const given = opts.command?.length ? opts.command : service.command;
  let entrypoint: string | undefined;
  let command = given;
  if (service.entrypoint !== undefined) {
    entrypoint = service.entrypoint[0] ?? '';
    command = [...service.entrypoint.slice(1), ...(given ?? [])];
  }
  const files = serviceFiles(service, opts.filesDir);
  const volumes: VolumeSpec[] = service.volumes.flatMap(v => (v.type === 'bind' ? [{ source: v.source!, target: v.target, readOnly: v.read_only }] : []));
  const mounts: (VolumeMount | TmpfsMount)[] = service.volumes.flatMap((v): (VolumeMount | TmpfsMount)[] => {
    if (v.type === 'volume') {
      if (v.volume?.subpath !== undefined) throw new RackerError(`${where}: volume subpath is not supported`, { hint: 'mount the whole volume' });
      const name = v.source === undefined ? '' : project.volumes[v.source]?.name ?? v.source;
      return [{ kind: 'volume', name, target: v.target, readOnly: v.read_only, anonymous: v.source === undefined, noCopy: v.volume?.nocopy ?? false }];
    }
    if (v.type === 'tmpfs') return [{ kind: 'tmpfs', target: v.target, readOnly: false, flags: [], ...(v.tmpfs?.size !== undefined ? { size: v.tmpfs.size } : {}), ...(v.tmpfs?.mode !== undefined ? { mode: v.tmpfs.mode } : {}) }];
    return [];
  });
  // the short tmpfs syntax is docker's --tmpfs, parsed here once
  for (const t of service.tmpfs) mounts.push(parseTmpfsFlag(t) as TmpfsMount);
  const parity = serviceParity(service);
  if ((service.boot || opts.boots) && !service.healthcheck) parity.healthcheck = { ...SYSTEMD_HEALTHCHECK };
  const input: ContainerSpecInput = {
    ...parity,
    image: service.image,
    name: opts.oneoff?.name ?? containerName(project.name, service, n),
    env: Object.entries(service.environment).filter((e): e is [string, string] => e[1] !== null).sort(([a], [b]) => byText(a, b)),
    labels: containerLabels(project, service, n, configHash(service), !!opts.oneoff),
    boot: service.boot || undefined,
    tty: service.tty,
    interactive: service.stdin_open,
    readOnly: service.read_only,
    volumes: [...volumes, ...files.map(f => ({ source: f.hostPath, target: f.ref.target, readOnly: true }))],
    mounts,
    net: netInput(project, service, !opts.oneoff || !!opts.oneoff.aliases),
  };
  if (command !== undefined) input.command = command;
  if (entrypoint !== undefined) input.entrypoint = entrypoint;
  if (service.working_dir !== undefined) input.workdir = service.working_dir;
  if (service.user !== undefined) input.user = service.user;
  if (service.hostname !== undefined) input.hostname = service.hostname;
  if (service.stop_grace_period !== undefined) input.stopTimeout = service.stop_grace_period / 1000;
  if (service.restart.name !== 'no') warnings.push(`${where}: restart: ${service.restart.name} is not acted on: racker has no daemon to restart containers (docs/compose.md)`);
  return { input, files, warnings };
}

/** Where each secret and config of the service is written on the host: <filesDir>/<secrets|configs>/<name>. */
function serviceFiles(service: ServiceConfig, filesDir = '/nonexistent'): ServiceFile[] {
  return [
    ...service.secrets.map(ref => ({ kind: 'secret' as const, ref, hostPath: path.join(filesDir, 'secrets', ref.source) })),
    ...service.configs.map(ref => ({ kind: 'config' as const, ref, hostPath: path.join(filesDir, 'configs', ref.source) })),
  ];
}

function hostPort(service: ServiceConfig, published: string): number {
  if (/^\d{1,5}$/.test(published)) return Number(published);
  throw new RackerError(`service ${service.name}: host port range ${published.slice(0, 20)} is not supported`, { hint: 'publish each port on its own host port, e.g. "8080:80"' });
}

function netInput(project: Project, service: ServiceConfig, aliases: boolean): NonNullable<ContainerSpecInput['net']> {
  const publish = service.ports.map(p => ({
    hostIp: p.host_ip && p.host_ip !== '0.0.0.0' ? p.host_ip : undefined,
    hostPort: p.published === undefined ? 0 : hostPort(service, p.published),
    containerPort: p.target,
    protocol: p.protocol,
  }));
  const common = { publish, dns: service.dns, hosts: service.extra_hosts };
  const mode = service.network_mode;
  if (mode === undefined) {
    return {
      ...common,
      networks: Object.entries(service.networks).sort(([a], [b]) => byText(a, b)).map(([key, net]) => ({
        name: project.networks[key]?.name ?? `${project.name}_${key}`,
        // docker compose makes the service name an alias on every network (not for a one-off without --use-aliases)
        aliases: aliases ? [...new Set([service.name, ...net.aliases])] : [],
        ...(net.ipv4_address ? { ip: net.ipv4_address } : {}),
      })),
    };
  }
  const viaService = /^service:(.+)$/.exec(mode)?.[1];
  if (viaService !== undefined) {
    const other = project.services[viaService];
    return { ...common, network: `container:${other ? containerName(project.name, other, 1) : viaService}` };
  }
  return { ...common, network: mode };
}
