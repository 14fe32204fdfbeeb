import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import path from 'node:path';
import { execa } from 'execa';
import { POSTROJ, RACKER, racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { MIRROR_CACHE, DEBIAN_MIRROR } from '../helpers/debian.js';
import { idOf, killLeader, leaderOf, membersOf, mountsUnder, recordOf, supervisorsOf, sweepRoot, until, type Leader } from '../helpers/pidns.js';

/**
 * kill -9 of systemd-nspawn: nothing of the container may keep running. Its
 * supervisor ends the container's PID namespace and records 137; ps shows it
 * exited; rm -f succeeds only when nothing of it is left.
 */
const reg = inject('registry');
const BUSYBOX = `${reg}/fixtures/busybox:latest`;
let t: Awaited<ReturnType<typeof tempRoot>>;
const names: string[] = [];
const leaders: Leader[] = [];
const rk = (args: string[], opts = {}) => racker(t.root, args, opts);
const env = { ...process.env, RACKER_MIRROR_CACHE: path.join(MIRROR_CACHE, 'mirror') };

function name(prefix: string): string {
  const n = uniqueName(prefix);
  names.push(n);
  return n;
}

/** The running container's nspawn and PID 1, found from the host. */
async function running(id: string): Promise<{ nspawn: number; leader: Leader }> {
  let nspawn = 0;
  let leader: Leader | undefined;
  await until(async () => {
    nspawn = (await recordOf(t.root, id)).state.nspawnPid ?? 0;
    leader = nspawn ? await leaderOf(nspawn) : undefined;
    return !!leader;
  }, 10_000);
  expect(leader, 'the container has a PID 1').toBeDefined();
  leaders.push(leader!);
  expect(await membersOf(leader!)).toContain(leader!.pid);
  return { nspawn, leader: leader! };
}

/** Nothing of the container is left: no process in its namespace, no supervisor, no mount. */
async function nothingLeft(id: string, leader: Leader): Promise<void> {
  expect(await membersOf(leader), 'processes in the container\'s PID namespace').toEqual([]);
  expect(await supervisorsOf(t.root), 'supervisors').toEqual([]);
  expect(await mountsUnder(path.join(t.root, 'containers', id)), 'mounts').toEqual([]);
}

async function psRow(id: string): Promise<{ State: string; ExitCode: number | null } | undefined> {
  const ps = await rk(['ps', '-a', '--format', 'json']);
  return ps.stdout.split('\n').filter(Boolean).map(l => JSON.parse(l) as { ID: string; State: string; ExitCode: number | null }).find(r => r.ID === id);
}

beforeAll(async () => {
  t = await tempRoot('orphans');
  expect((await rk(['pull', '-q', '--tls-verify=false', BUSYBOX])).exitCode).toBe(0);
});

afterAll(async () => {
  // also when racker failed: a payload left running is killed here, not left to the next test
  for (const l of leaders) await killLeader(l);
  for (const n of names) await rk(['rm', '-f', n]);
  const mounts = await sweepRoot(t.root);
  await t.remove();
  expect(mounts).toEqual([]);
}, 120_000);

describe('kill -9 of systemd-nspawn under a detached app container', () => {
  it('the supervisor ends the container: ps shows Exited (137), nothing of it runs, rm works', async () => {
    const n = name('orphan-app');
    const id = (await rk(['run', '-d', '--name', n, BUSYBOX, 'sh', '-c', 'sleep 300 & sleep 300'])).stdout;
    expect(id).toMatch(/^[a-f0-9]{64}$/);
    const { nspawn, leader } = await running(id);
    process.kill(nspawn, 'SIGKILL');
    expect(await until(async () => (await psRow(id))?.State === 'exited', 10_000), 'ps shows it exited').toBe(true);
    expect(await psRow(id)).toMatchObject({ State: 'exited', ExitCode: 137 });
    expect(await until(async () => (await supervisorsOf(t.root)).length === 0, 10_000)).toBe(true);
    await nothingLeft(id, leader);
    expect((await rk(['rm', n])).exitCode).toBe(0);
  });

  it('rm -f at once removes it only with nothing of it left', async () => {
    const n = name('orphan-rm');
    const id = (await rk(['run', '-d', '--name', n, BUSYBOX, 'sh', '-c', 'sleep 300 & sleep 300'])).stdout;
    const { nspawn, leader } = await running(id);
    process.kill(nspawn, 'SIGKILL');
    const r = await rk(['rm', '-f', n]);
    expect(r.stdout).toBe(n);
    expect(r.exitCode).toBe(0);
    await nothingLeft(id, leader);
    expect((await rk(['inspect', n])).exitCode).toBe(125);
  });
});

describe('kill -9 of systemd-nspawn under a supervisor that does not notice', () => {
  it('ps ends the container and its supervisor, and shows Exited (137)', async () => {
    const n = name('orphan-hung');
    const id = (await rk(['run', '-d', '--name', n, BUSYBOX, 'sh', '-c', 'sleep 300 & sleep 300'])).stdout;
    const { nspawn, leader } = await running(id);
    const [sup] = await supervisorsOf(t.root);
    expect(sup).toBeGreaterThan(0);
    // a stopped supervisor stands for a hung or broken one
    process.kill(sup, 'SIGSTOP');
    try {
      process.kill(nspawn, 'SIGKILL');
      expect(await psRow(id)).toMatchObject({ State: 'exited', ExitCode: 137 });
      await nothingLeft(id, leader);
    } finally {
      try { process.kill(sup, 'SIGCONT'); } catch { /* killed */ }
    }
    expect((await rk(['rm', n])).exitCode).toBe(0);
  });

  it('rm -f does the same and removes it', async () => {
    const n = name('orphan-hung-rm');
    const id = (await rk(['run', '-d', '--name', n, BUSYBOX, 'sleep', '300'])).stdout;
    const { nspawn, leader } = await running(id);
    const [sup] = await supervisorsOf(t.root);
    process.kill(sup, 'SIGSTOP');
    try {
      process.kill(nspawn, 'SIGKILL');
      const r = await rk(['rm', '-f', n]);
      expect(r.stdout).toBe(n);
      expect(r.exitCode).toBe(0);
      await nothingLeft(id, leader);
    } finally {
      try { process.kill(sup, 'SIGCONT'); } catch { /* killed */ }
    }
  });
});

describe('kill -9 of systemd-nspawn under an attached run', () => {
  it('racker exits 137 and leaves nothing of the container running', async () => {
    const n = name('orphan-attached');
    const child = execa(RACKER, ['--root', t.root, 'run', '--name', n, BUSYBOX, 'sh', '-c', 'echo started; sleep 300 & sleep 300'],
      { reject: false, stdin: 'ignore', timeout: 60_000 });
    await new Promise<void>(resolve => child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('started')) resolve(); }));
    const id = (await idOf(t.root, n))!;
    const { nspawn, leader } = await running(id);
    process.kill(nspawn, 'SIGKILL');
    // the payload shares racker's stdout: racker only gets to its end when the payload is gone too
    expect(await until(async () => (await membersOf(leader)).length === 0, 10_000), 'the payload is ended').toBe(true);
    const r = await child;
    expect(r.exitCode).toBe(137);
    expect(await recordOf(t.root, id)).toMatchObject({ state: { status: 'exited', exitCode: 137 } });
    await nothingLeft(id, leader);
  });
});

describe('kill -9 of systemd-nspawn under a booted container', () => {
  beforeAll(async () => {
    const r = await execa(POSTROJ, ['--root', t.root, 'pull', 'debian-bookworm', '--source', 'mirror', '--mirror', DEBIAN_MIRROR],
      { reject: false, env, stdin: 'ignore', timeout: 20 * 60_000 });
    expect(r.stdout + r.stderr).toContain('debian-bookworm: ready');
  }, 20 * 60_000);

  it('detached (-d, no command): systemd and its services are ended, ps shows Exited (137)', async () => {
    const n = name('orphan-boot');
    const r = await rk(['run', '-d', '--name', n, 'debian-bookworm'], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    const id = r.stdout;
    const { nspawn, leader } = await running(id);
    expect((await membersOf(leader)).length).toBeGreaterThan(1);
    process.kill(nspawn, 'SIGKILL');
    expect(await until(async () => (await psRow(id))?.State === 'exited', 15_000), 'ps shows it exited').toBe(true);
    expect(await psRow(id)).toMatchObject({ State: 'exited', ExitCode: 137 });
    expect(await until(async () => (await supervisorsOf(t.root)).length === 0, 15_000)).toBe(true);
    await nothingLeft(id, leader);
    expect((await rk(['rm', '-f', n])).exitCode).toBe(0);
  }, 120_000);

  it('attached with a command: racker ends the booted container and exits 137', async () => {
    const n = name('orphan-boot-att');
    const child = execa(RACKER, ['--root', t.root, 'run', '--name', n, 'debian-bookworm', 'sh', '-c', 'echo started; sleep 300'],
      { reject: false, stdin: 'ignore', env, timeout: 90_000 });
    await new Promise<void>(resolve => child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('started')) resolve(); }));
    const id = (await idOf(t.root, n))!;
    const { nspawn, leader } = await running(id);
    process.kill(nspawn, 'SIGKILL');
    expect(await until(async () => (await membersOf(leader)).length === 0, 15_000), 'the container is ended').toBe(true);
    const r = await child;
    expect(r.exitCode).toBe(137);
    expect(await recordOf(t.root, id)).toMatchObject({ state: { status: 'exited', exitCode: 137 } });
    await nothingLeft(id, leader);
  }, 120_000);
});
