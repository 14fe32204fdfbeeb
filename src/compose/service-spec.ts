import { RackerError } from '../errors.js';
import type { ContainerSpecInput } from '../engine/spec.js';
import { parseTmpfsFlag } from '../runtime/mount-spec.js';
import type { TmpfsMount, VolumeMount } from '../store/container-store.js';
import { containerName } from './naming.js';
import type { RunOptions } from './to-run-options.js';
import type { Project } from './types.js';

/**
 * One service container's RunOptions as the engine's ContainerSpecInput, and
 * the lines about what racker does not act on (restart, init, stop_signal):
 * a pure function, so `up` and the tests see the same mapping.
 */
export function serviceSpec(project: Project, run: RunOptions): { input: ContainerSpecInput; warnings: string[] } {
  const warnings: string[] = [];
  const service = run.labels['com.docker.compose.service'];
  // compose's entrypoint is a list, the engine's one word and the rest goes before the command
  let entrypoint: string | undefined;
  let command = run.command;
  if (run.entrypoint !== undefined) {
    entrypoint = run.entrypoint[0] ?? '';
    command = [...run.entrypoint.slice(1), ...(run.command ?? [])];
  }
  const input: ContainerSpecInput = {
    image: run.image,
    name: run.name,
    env: run.env,
    labels: run.labels,
    boot: run.boot || undefined,
    tty: run.tty,
    interactive: run.interactive,
    readOnly: run.readOnly,
    volumes: run.mounts.flatMap(m => (m.type === 'bind' ? [{ source: m.source, target: m.target, readOnly: m.readOnly }] : [])),
    mounts: [
      ...run.mounts.flatMap((m): (VolumeMount | TmpfsMount)[] => {
        if (m.type === 'volume') return [{ kind: 'volume', name: m.source ?? '', target: m.target, readOnly: m.readOnly, anonymous: m.source === undefined, noCopy: m.nocopy }];
        if (m.type === 'tmpfs') return [{ kind: 'tmpfs', target: m.target, readOnly: false, flags: [], ...(m.size !== undefined ? { size: m.size } : {}), ...(m.mode !== undefined ? { mode: m.mode } : {}) }];
        return [];
      }),
      ...run.tmpfs.map(t => parseTmpfsFlag(t) as TmpfsMount),
    ],
    net: netInput(project, run),
  };
  if (command !== undefined) input.command = command;
  if (entrypoint !== undefined) input.entrypoint = entrypoint;
  if (run.workdir !== undefined) input.workdir = run.workdir;
  if (run.user !== undefined) input.user = run.user;
  if (run.hostname !== undefined) input.hostname = run.hostname;
  if (run.stopTimeout !== undefined) input.stopTimeout = run.stopTimeout;
  for (const m of run.mounts) if (m.type === 'volume' && m.subpath !== undefined) throw new RackerError(`service ${service}: volume subpath is not supported`, { hint: 'mount the whole volume' });
  if (run.restart.name !== 'no') warnings.push(`service ${service}: restart: ${run.restart.name} is not acted on: racker has no daemon to restart containers (docs/compose.md)`);
  if (run.init) warnings.push(`service ${service}: init: true is not applied yet`);
  if (run.stopSignal !== undefined && run.stopSignal.replace(/^SIG/, '') !== 'TERM') warnings.push(`service ${service}: stop_signal ${run.stopSignal} is not applied yet: containers stop with SIGTERM`);
  return { input, warnings };
}

function hostPort(run: RunOptions, published: string): number {
  if (/^\d{1,5}$/.test(published)) return Number(published);
  throw new RackerError(`service ${run.labels['com.docker.compose.service']}: host port range ${published.slice(0, 20)} is not supported`, { hint: 'publish each port on its own host port, e.g. "8080:80"' });
}

function netInput(project: Project, run: RunOptions): NonNullable<ContainerSpecInput['net']> {
  const publish = run.ports.map(p => ({
    hostIp: p.host_ip && p.host_ip !== '0.0.0.0' ? p.host_ip : undefined,
    hostPort: p.published === undefined ? 0 : hostPort(run, p.published),
    containerPort: p.target,
    protocol: p.protocol,
  }));
  const common = { publish, dns: run.dns, addHosts: run.extraHosts.map(([host, ip]) => `${host}:${ip}`) };
  const mode = run.networkMode;
  if (mode === undefined) return { ...common, networks: run.networks.map(n => ({ name: n.name, aliases: n.aliases, ...(n.ipv4 ? { ip: n.ipv4 } : {}) })) };
  const viaService = /^service:(.+)$/.exec(mode)?.[1];
  if (viaService !== undefined) {
    const other = project.services[viaService];
    return { ...common, network: `container:${other ? containerName(project.name, other, 1) : viaService}` };
  }
  return { ...common, network: mode };
}
