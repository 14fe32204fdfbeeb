import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AttachedChild } from '../../../src/process.js';
import type { ContainerRecord } from '../../../src/model/container.js';
import type { ImageRecord } from '../../../src/model/image.js';
import type { ConnectedNetwork, RunIO, RunnerDeps } from '../../../src/runtime/runner.js';
import type { MountedContainer } from '../../../src/runtime/container-setup.js';
import type { SignalForwarder } from '../../../src/runtime/signal-forwarder.js';

// what happened, in order: the skeleton's steps and their undoing
const events: string[] = [];
/** the next nspawn has not exited (a step failed while it runs) */
let running = false;
const child = (code: number): AttachedChild => {
  const end = running ? new Promise<number>(() => undefined) : Promise.resolve(code);
  return { pid: 4242, exit: end, exited: end, kill: () => undefined };
};

vi.mock('../../../src/process.js', async orig => ({
  ...await orig<typeof import('../../../src/process.js')>(),
  spawnAttached: vi.fn(() => { events.push('spawn nspawn'); return child(0); }),
}));
vi.mock('../../../src/runtime/container-processes.js', () => ({
  markSupervised: vi.fn(async () => { events.push('mark'); return async () => { events.push('unmark'); }; }),
  endWithNspawn: vi.fn(async () => { events.push('end namespace'); }),
}));
vi.mock('../../../src/runtime/cgroups.js', () => ({
  makeCgroups: vi.fn(async () => { events.push('make cgroups'); return { dirs: ['/sys/fs/cgroup/x/racker-t'] }; }),
  removeCgroups: vi.fn(async () => { events.push('remove cgroups'); }),
  inCgroups: (_cg: unknown, cmd: string, args: string[]) => ({ cmd, args }),
  oomKilled: vi.fn(async () => false),
}));
vi.mock('../../../src/runtime/host.js', () => ({ systemdIsPid1: () => false }));
vi.mock('../../../src/runtime/pid-namespace.js', () => ({
  findLeader: vi.fn(async () => ({ pid: 4243, pidns: 'pid:[1]', start: '1' })),
  nspawnState: vi.fn(async () => ({ nspawnPid: 4242, nspawnStart: '1' })),
}));
vi.mock('../../../src/runtime/parity-args.js', () => ({ applySysctls: vi.fn(async () => undefined), nspawnEnv: () => ({}) }));
vi.mock('../../../src/lock.js', () => ({ ownToken: async () => '1 1' }));

const { runContainer } = await import('../../../src/runtime/run-skeleton.js');
type RunMode = import('../../../src/runtime/run-skeleton.js').RunMode;

const rec = (): ContainerRecord => ({
  id: 'e'.repeat(64), name: 'web', image: `sha256:${'c'.repeat(64)}`, imageName: 'busybox', layers: [], argv: ['sh'],
  created: '2026-01-01T00:00:00Z', autoRemove: false, state: { status: 'created' },
  spec: {
    mode: 'app', image: `sha256:${'c'.repeat(64)}`, imageName: 'busybox', command: ['sh'], env: [], volumes: [],
    tty: false, interactive: false, autoRemove: false, stopTimeout: 10, bootTimeout: 60,
  },
});

function deps(): RunnerDeps {
  const network: ConnectedNetwork = {
    nspawnArgs: [], ownNamespace: false, ports: [],
    writeFiles: async () => { events.push('network files'); },
    release: async () => { events.push('release network'); },
  };
  return {
    containers: { write: async (r: ContainerRecord) => { events.push(`record ${r.state.status}`); } },
    volumes: {},
    connectNetwork: async () => { events.push('connect network'); return network; },
  } as unknown as RunnerDeps;
}

function signals(exitCode?: number): SignalForwarder {
  return { exitCode, forwardTo: () => { events.push('forward signals'); }, ended: () => undefined, dispose: () => undefined } as unknown as SignalForwarder;
}

/** A mode that logs each call; `fail` names the step that throws. */
function mode(fail?: string, networkFirst = false): RunMode {
  const step = (name: string) => { events.push(name); if (fail === name) throw new Error(`${name} failed`); };
  const root = { dir: '/x', rootfs: '/x/rootfs', release: async () => { events.push('release root'); } } as unknown as MountedContainer;
  return {
    networkFirst, cgroups: {},
    hostname: () => 'h',
    mount: async (_r, image) => { step('mount'); return { root, image }; },
    prepare: async () => { step('prepare'); },
    launch: async () => { step('launch'); return { args: [], processEnv: {}, stdin: 'ignore', output: 'inherit', spawned: n => { events.push(n ? 'spawned' : 'start undone'); } }; },
    waitForEnd: async () => { step('wait for end'); return 3; },
    stop: async (_n, exited) => { events.push(`stop (exited: ${exited})`); },
  };
}

const run = (m: RunMode, io: Partial<RunIO> = {}) => runContainer(deps(), rec(), {} as ImageRecord, { stdin: false, output: 'inherit', signals: signals(), ...io }, {}, m);

describe('runContainer: one lifecycle for both modes', () => {
  beforeEach(() => { events.length = 0; running = false; });

  it('runs the steps in order and undoes them in reverse', async () => {
    expect(await run(mode())).toBe(3);
    expect(events).toEqual([
      'mark', 'mount', 'prepare', 'connect network', 'network files', 'make cgroups', 'launch', 'spawn nspawn', 'spawned',
      'record running', 'forward signals', 'end namespace', 'wait for end', 'record exited',
      'stop (exited: true)', 'remove cgroups', 'release network', 'release root', 'unmark',
    ]);
  });

  it('the network made first (app) is released when the mount fails', async () => {
    await expect(run(mode('mount', true))).rejects.toThrow('mount failed');
    expect(events).toEqual(['mark', 'connect network', 'mount', 'release network', 'unmark']);
  });

  it('a failing prepare leaves nothing held', async () => {
    await expect(run(mode('prepare'))).rejects.toThrow('prepare failed');
    expect(events).toEqual(['mark', 'mount', 'prepare', 'release root', 'unmark']);
  });

  it('a failing launch leaves nothing held', async () => {
    await expect(run(mode('launch'))).rejects.toThrow('launch failed');
    expect(events.slice(events.indexOf('launch'))).toEqual(['launch', 'remove cgroups', 'release network', 'release root', 'unmark']);
  });

  it('a failure while nspawn runs stops it, then undoes the rest', async () => {
    running = true;
    await expect(run(mode('wait for end'))).rejects.toThrow('wait for end failed');
    expect(events.slice(events.indexOf('wait for end') + 1)).toEqual(['stop (exited: false)', 'remove cgroups', 'release network', 'release root', 'unmark']);
    expect(events).not.toContain('record exited');
  });

  it('a signal that came while the container was made undoes the start: no nspawn, docker\'s exit code', async () => {
    expect(await run(mode(), { signals: signals(130) })).toBe(130);
    expect(events).not.toContain('spawn nspawn');
    expect(events.slice(events.indexOf('launch') + 1)).toEqual(['start undone', 'remove cgroups', 'release network', 'release root', 'unmark']);
  });
});
