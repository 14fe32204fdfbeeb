import path from 'node:path';
import { shortId } from '../image/digest.js';
import { containerLeader } from '../runtime/host.js';
import type { ContainerRecord, ContainerStore } from '../store/container-store.js';
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
    HostConfig: { AutoRemove: rec.autoRemove, StopTimeout: spec.stopTimeout, BootTimeout: spec.bootTimeout, ...parity.HostConfig },
    Mounts: spec.volumes.map(v => ({ Type: 'bind', Source: v.source, Destination: v.target, RW: !v.readOnly })),
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
