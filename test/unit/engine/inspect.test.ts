import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { containerJson } from '../../../src/engine/inspect.js';
import { ContainerStore } from '../../../src/store/container-store.js';
import type { ContainerRecord } from '../../../src/model/container.js';
import { StoreLayout } from '../../../src/store/layout.js';

const ID = 'f'.repeat(64);
const [L1, L2] = ['1', '2'].map(c => `sha256:${c.repeat(64)}`);

const record = (over: Partial<ContainerRecord['spec']> = {}, state: ContainerRecord['state'] = { status: 'exited', exitCode: 3, startedAt: 's', finishedAt: 'f' }): ContainerRecord => ({
  id: ID, name: 'web', image: `sha256:${'c'.repeat(64)}`, imageName: 'busybox', layers: [L1, L2], argv: ['/bin/sh', '-c', 'exit 3'],
  created: '2026-01-01T00:00:00Z', autoRemove: true, state,
  spec: {
    mode: 'app', image: `sha256:${'c'.repeat(64)}`, imageName: 'busybox', command: ['/bin/sh', '-c', 'exit 3'], env: [['A', 'x=y'], ['B', '']],
    volumes: [{ source: '/h', target: '/srv', readOnly: true }, { source: '/g', target: '/data', readOnly: false }],
    tty: true, interactive: false, autoRemove: true, stopTimeout: 3, bootTimeout: 60, workdir: '/srv', user: 'app', ...over,
  },
});

describe('containerJson', () => {
  const layout = new StoreLayout('/var/lib/racker-test');
  const store = new ContainerStore(layout);

  it("is docker's inspect document, from the stored spec and state", async () => {
    const doc = await containerJson(store, layout, record());
    const dir = store.dir(ID);
    expect(doc).toEqual({
      Id: ID, Name: 'web', Created: '2026-01-01T00:00:00Z', Path: '/bin/sh', Args: ['-c', 'exit 3'],
      Image: `sha256:${'c'.repeat(64)}`, ImageName: 'busybox',
      State: { Status: 'exited', Running: false, ExitCode: 3, Pid: 0, NspawnPid: 0, StartedAt: 's', FinishedAt: 'f', OOMKilled: false },
      Config: { Hostname: ID.slice(0, 12), Env: ['A=x=y', 'B='], Cmd: ['/bin/sh', '-c', 'exit 3'], WorkingDir: '/srv', User: 'app', Tty: true, OpenStdin: false, Boot: false, Labels: {} },
      HostConfig: {
        AutoRemove: true, StopTimeout: 3, BootTimeout: 60, ReadonlyRootfs: false, NetworkMode: 'host', PortBindings: {}, Dns: [], ExtraHosts: [],
        // the run flags of docs/run.md, unset: docker's values for "not set"
        CapAdd: null, CapDrop: null, ContainerIDFile: '', CpuShares: 0, Devices: [], Init: null, Memory: 0, MemoryReservation: 0, MemorySwap: 0, NanoCpus: 0,
        PidsLimit: null, Privileged: false, SecurityOpt: null, ShmSize: 67108864, Sysctls: {}, Ulimits: [],
      },
      Mounts: [{ Type: 'bind', Source: '/h', Destination: '/srv', RW: false }, { Type: 'bind', Source: '/g', Destination: '/data', RW: true }],
      NetworkSettings: { Mode: 'host', Networks: {}, Ports: {} },
      GraphDriver: {
        Name: 'overlay',
        // overlayfs lists the top layer first
        Data: { LowerDir: `${layout.layerFs(L2)}:${layout.layerFs(L1)}`, UpperDir: path.join(dir, 'upper'), WorkDir: path.join(dir, 'work'), MergedDir: path.join(dir, 'rootfs') },
      },
    });
  });

  it('a created, booted container: its hostname, no exit code, empty times', async () => {
    const doc = await containerJson(store, layout, { ...record({ mode: 'boot', hostname: 'box', workdir: undefined, user: undefined }, { status: 'created' }), argv: [] });
    expect(doc).toMatchObject({
      Path: '', Args: [],
      State: { Status: 'created', Running: false, ExitCode: 0, Pid: 0, NspawnPid: 0, StartedAt: '', FinishedAt: '' },
      Config: { Hostname: 'box', WorkingDir: '', User: '', Boot: true },
    });
  });
});
