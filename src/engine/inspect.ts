import path from 'node:path';
import { shortId } from '../model/image.js';
import { containerLeader } from '../runtime/host.js';
import type { ContainerStore } from '../store/container-store.js';
import type { ContainerRecord } from '../model/container.js';
import type { StoreLayout } from '../store/layout.js';
import { parityJson } from './inspect-parity.js';

/** docker's `container inspect` document, from the stored spec and state. */
export async function containerJson(store: ContainerStore, layout: StoreLayout, rec: ContainerRecord): Promise<Record<string, unknown>> {
  const dir = store.dir(rec.id);
  const running = rec.state.status === 'running';
  const leader = running && rec.state.nspawnPid ? await containerLeader(rec.state.nspawnPid) : undefined;
  const spec = rec.spec;
  const parity = parityJson(rec);
  return {
    Id: rec.id,
    Name: rec.name,
    Created: rec.created,
    Path: rec.argv[0] ?? '',
    Args: rec.argv.slice(1),
    Image: rec.image,
    ImageName: rec.imageName,
    State: {
      Status: rec.state.status,
      Running: running,
      ExitCode: rec.state.exitCode ?? 0,
      Pid: leader ?? 0,
      NspawnPid: running ? rec.state.nspawnPid ?? 0 : 0,
      StartedAt: rec.state.startedAt ?? '',
      FinishedAt: rec.state.finishedAt ?? '',
      ...parity.State,
    },
    Config: {
      Hostname: spec.hostname ?? shortId(rec.id),
      Env: spec.env.map(([k, v]) => `${k}=${v}`),
      Cmd: rec.argv,
      WorkingDir: spec.workdir ?? '',
      User: spec.user ?? '',
      Tty: spec.tty,
      OpenStdin: spec.interactive,
      Boot: spec.mode === 'boot',
      ...parity.Config,
    },
    HostConfig: {
      AutoRemove: rec.autoRemove, StopTimeout: spec.stopTimeout, BootTimeout: spec.bootTimeout, ReadonlyRootfs: !!spec.readOnly,
      NetworkMode: spec.network?.mode === 'bridge' ? spec.network.networks[0]?.name : spec.network?.mode === 'container' ? `container:${spec.network.container}` : spec.network?.mode ?? 'host',
      PortBindings: Object.fromEntries((spec.network?.publish ?? []).map(p => [`${p.containerPort}/${p.protocol}`, [{ HostIp: p.hostIp ?? '', HostPort: p.hostPort ? String(p.hostPort) : '' }]])),
      Dns: spec.network?.dns ?? [], ExtraHosts: (spec.network?.addHosts ?? []).map(h => `${h.names[0]}:${h.ip}`),
      ...parity.HostConfig,
    },
    Mounts: [
      ...spec.volumes.map(v => ({ Type: 'bind', Source: v.source, Destination: v.target, RW: !v.readOnly })),
      ...(spec.mounts ?? []).map(m => (m.kind === 'volume'
        ? { Type: 'volume', Name: m.name, Destination: m.target, RW: !m.readOnly }
        : { Type: 'tmpfs', Destination: m.target, RW: !m.readOnly })),
    ],
    NetworkSettings: {
      Mode: spec.network?.mode ?? 'host',
      Networks: Object.fromEntries((spec.network?.networks ?? []).map(n => [n.name, { Aliases: n.aliases, IPAMConfig: n.ip ? { IPv4Address: n.ip } : null }])),
      // docker's shape: "80/tcp": [{ HostIp, HostPort }]
      Ports: Object.fromEntries((running ? rec.state.ports ?? [] : []).map(p => [`${p.containerPort}/${p.protocol}`, [{ HostIp: p.hostIp ?? '0.0.0.0', HostPort: String(p.hostPort) }]])),
    },
    GraphDriver: {
      Name: 'overlay',
      Data: {
        LowerDir: [...rec.layers].reverse().map(l => layout.layerFs(l)).join(':'),
        UpperDir: path.join(dir, 'upper'),
        WorkDir: path.join(dir, 'work'),
        MergedDir: path.join(dir, 'rootfs'),
      },
    },
  };
}
