import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execa } from 'execa';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { RACKER, racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { killLeader, leaderOf, membersOf, mountsUnder, recordOf, supervisorsOf, sweepRoot, until, type Leader } from '../helpers/pidns.js';

/**
 * One supervisor per store root runs all its detached containers: started by
 * the first detached start (also when many start at once), gone with the last
 * container; a kill -9 of it is reaped for every container as for one; one
 * container's end or failure does not touch the others.
 */
const reg = inject('registry');
const BUSYBOX = `${reg}/fixtures/busybox:latest`;
let t: Awaited<ReturnType<typeof tempRoot>>;
const names: string[] = [];
const nets: string[] = [];
const leaders: Leader[] = [];
const rk = (args: string[], opts = {}) => racker(t.root, args, opts);

function name(prefix: string): string {
  const n = uniqueName(prefix);
  names.push(n);
  return n;
}

async function runD(n: string, args: string[]): Promise<string> {
  const r = await rk(['run', '-d', '--name', n, ...args]);
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout;
}

async function leaderOfContainer(id: string): Promise<Leader> {
  let leader: Leader | undefined;
  await until(async () => {
    const pid = (await recordOf(t.root, id)).state.nspawnPid;
    leader = pid ? await leaderOf(pid) : undefined;
    return !!leader;
  }, 10_000);
  expect(leader, 'the container has a PID 1').toBeDefined();
  leaders.push(leader!);
  return leader!;
}

async function states(): Promise<Map<string, { State: string; ExitCode: number | null }>> {
  const ps = await rk(['ps', '-a', '--format', 'json']);
  const rows = ps.stdout.split('\n').filter(Boolean).map(l => JSON.parse(l) as { ID: string; State: string; ExitCode: number | null });
  return new Map(rows.map(r => [r.ID, r]));
}

async function removeAll(list: string[]): Promise<void> {
  const r = await rk(['rm', '-f', ...list]);
  expect(r.exitCode, r.stderr).toBe(0);
}

beforeAll(async () => {
  t = await tempRoot('shared-sup');
  expect((await rk(['pull', '-q', '--tls-verify=false', BUSYBOX])).exitCode).toBe(0);
});

afterAll(async () => {
  // also when racker failed: nothing of these containers is left to the next test file
  for (const l of leaders) await killLeader(l);
  if (names.length) await rk(['rm', '-f', ...names]);
  for (const n of nets) await rk(['network', 'rm', n]);
  const mounts = await sweepRoot(t.root);
  await t.remove();
  expect(mounts).toEqual([]);
}, 120_000);

describe('one supervisor for the detached containers of a store root', () => {
  it('many run -d at once start one supervisor; it exits when the last container is gone', async () => {
    const batch = Array.from({ length: 8 }, () => name('many'));
    const ids = await Promise.all(batch.map(n => runD(n, [BUSYBOX, 'sh', '-c', `echo hello-${n}; sleep 300`])));
    expect(new Set(ids).size).toBe(8);
    const sups = await supervisorsOf(t.root);
    expect(sups).toHaveLength(1);
    const sock = await stat(path.join(t.root, 'supervisor', 'sock'));
    expect(sock.isSocket()).toBe(true);
    expect(sock.mode & 0o777).toBe(0o600);
    expect((await stat(path.join(t.root, 'supervisor'))).mode & 0o777).toBe(0o700);
    const now = await states();
    for (const id of ids) expect(now.get(id)?.State).toBe('running');
    for (const n of batch) {
      expect(await until(async () => (await rk(['logs', n])).stdout === `hello-${n}`, 10_000), `logs of ${n}`).toBe(true);
    }
    await removeAll(batch.slice(0, 7));
    expect(await supervisorsOf(t.root), 'the last container still runs').toEqual(sups);
    expect((await states()).get(ids[7])?.State).toBe('running');
    await removeAll(batch.slice(7));
    expect(await until(async () => (await supervisorsOf(t.root)).length === 0, 10_000), 'the supervisor exits').toBe(true);
    expect(await stat(path.join(t.root, 'supervisor', 'sock')).catch(() => undefined), 'its socket goes with it').toBeUndefined();
  });

  it('one container ending or failing to start leaves the others running; wait, stop, kill, logs -f and restart each act on one', async () => {
    const keep = name('keep');
    const keepId = await runD(keep, [BUSYBOX, 'sleep', '300']);
    const [sup] = await supervisorsOf(t.root);
    const three = name('three');
    await runD(three, [BUSYBOX, 'sh', '-c', 'echo bye; exit 3']);
    expect((await rk(['wait', three])).stdout).toBe('3');
    expect((await rk(['logs', three])).stdout).toBe('bye');
    const missing = await rk(['run', '-d', '--name', name('missing'), BUSYBOX, 'no-such-command']);
    expect(missing.exitCode).toBe(127);
    const follow = name('follow');
    await runD(follow, [BUSYBOX, 'sh', '-c', 'trap "echo term; exit 0" TERM; echo up; while :; do sleep 0.1; done']);
    const logs = execa(RACKER, ['--root', t.root, 'logs', '-f', follow], { reject: false, stdin: 'ignore', timeout: 60_000 });
    const killed = name('killed');
    await runD(killed, [BUSYBOX, 'sleep', '300']);
    expect(await until(async () => (await rk(['logs', follow])).stdout === 'up', 10_000)).toBe(true);
    expect((await rk(['stop', '-t', '5', follow])).exitCode).toBe(0);
    expect((await logs).stdout).toBe('up\nterm');
    expect((await rk(['kill', killed])).exitCode).toBe(0);
    expect((await rk(['wait', killed])).stdout).toBe('137');
    const bounce = name('bounce');
    const bounceId = await runD(bounce, [BUSYBOX, 'sleep', '300']);
    expect((await rk(['restart', '-t', '1', bounce])).exitCode).toBe(0);
    const now = await states();
    expect(now.get(keepId)?.State).toBe('running');
    expect(now.get(bounceId)?.State).toBe('running');
    expect(await supervisorsOf(t.root), 'still the one supervisor').toEqual([sup]);
    await removeAll([keep, three, follow, killed, bounce]);
    expect(await until(async () => (await supervisorsOf(t.root)).length === 0, 10_000)).toBe(true);
  });

  it('starts that meet the supervisor as it exits (its last container just ended) reach a new one', async () => {
    const all: string[] = [];
    for (let round = 0; round < 4; round++) {
      const wave = Array.from({ length: 3 }, () => name('brief'));
      all.push(...wave);
      // each ends at once, so the supervisor keeps closing while the next ones start
      await Promise.all(wave.map(n => runD(n, [BUSYBOX, 'true'])));
    }
    for (const n of all) expect((await rk(['wait', n])).stdout, n).toBe('0');
    await removeAll(all);
    expect(await until(async () => (await supervisorsOf(t.root)).length === 0, 10_000)).toBe(true);
  });

  it('health checks run for each container', async () => {
    const good = name('healthy');
    const bad = name('unhealthy');
    await runD(good, ['--health-cmd', 'true', '--health-interval', '300ms', BUSYBOX, 'sleep', '300']);
    await runD(bad, ['--health-cmd', 'false', '--health-interval', '300ms', '--health-retries', '1', BUSYBOX, 'sleep', '300']);
    expect((await rk(['wait', '--condition', 'healthy', '--timeout', '30', good])).exitCode).toBe(0);
    const health = async (n: string) => (JSON.parse((await rk(['inspect', n])).stdout) as [{ State: { Health?: { Status: string } } }])[0].State.Health?.Status;
    expect(await until(async () => await health(bad) === 'unhealthy', 30_000)).toBe(true);
    expect(await health(good)).toBe('healthy');
    await removeAll([good, bad]);
  });

  it('kill -9 of the supervisor: every container it ran shows exited, rm and network rm leave nothing', async () => {
    const net = uniqueName('supnet');
    expect((await rk(['network', 'create', net])).exitCode).toBe(0);
    nets.push(net);
    const batch = [name('reap-a'), name('reap-b'), name('reap-c')];
    const ids = await Promise.all(batch.map((n, i) => runD(n, [...(i < 2 ? ['--network', net] : []), BUSYBOX, 'sh', '-c', 'sleep 300 & sleep 300'])));
    const mine = await Promise.all(ids.map(leaderOfContainer));
    const sups = await supervisorsOf(t.root);
    expect(sups).toHaveLength(1);
    process.kill(sups[0], 'SIGKILL');
    const now = await states();
    for (const id of ids) expect(now.get(id), id).toMatchObject({ State: 'exited', ExitCode: 137 });
    for (const l of mine) expect(await membersOf(l), 'processes in a container\'s PID namespace').toEqual([]);
    await removeAll(batch);
    expect((await rk(['network', 'rm', net])).exitCode).toBe(0);
    nets.pop();
    expect(await mountsUnder(path.join(t.root, 'containers'))).toEqual([]);
    for (const id of ids) expect(await stat(path.join(t.root, 'supervisor', id)).catch(() => undefined), 'the killed supervisor\'s mark').toBeUndefined();
    // the next detached start finds the dead supervisor's socket and starts a new one
    const again = name('after-kill');
    await runD(again, [BUSYBOX, 'sleep', '300']);
    const next = await supervisorsOf(t.root);
    expect(next).toHaveLength(1);
    expect(next[0]).not.toBe(sups[0]);
    await removeAll([again]);
    expect(await until(async () => (await supervisorsOf(t.root)).length === 0, 10_000)).toBe(true);
  });

  it('a hung supervisor is not killed for one container while it runs others', async () => {
    const lost = name('hung-lost');
    const other = name('hung-other');
    const lostId = await runD(lost, [BUSYBOX, 'sleep', '300']);
    const otherId = await runD(other, [BUSYBOX, 'sleep', '300']);
    const lostLeader = await leaderOfContainer(lostId);
    await leaderOfContainer(otherId);
    const [sup] = await supervisorsOf(t.root);
    const blockedName = name('hung-new');
    process.kill(sup, 'SIGSTOP');
    try {
      process.kill((await recordOf(t.root, lostId)).state.nspawnPid!, 'SIGKILL');
      const now = await states();
      expect(now.get(lostId)).toMatchObject({ State: 'exited', ExitCode: 137 });
      expect(now.get(otherId)?.State).toBe('running');
      expect(await membersOf(lostLeader)).toEqual([]);
      expect(await supervisorsOf(t.root)).toEqual([sup]);
      // a start does not wait forever on a supervisor that does not answer
      const blocked = await rk(['run', '-d', '--name', blockedName, BUSYBOX, 'sleep', '300']);
      expect(blocked.exitCode).toBe(125);
      expect(blocked.stderr).toContain('does not answer');
    } finally {
      process.kill(sup, 'SIGCONT');
    }
    expect((await rk(['rm', lost])).exitCode).toBe(0);
    expect((await states()).get(otherId)?.State).toBe('running');
    // the start that gave up is not run later, when the supervisor goes on
    const given = JSON.parse((await rk(['inspect', blockedName])).stdout) as [{ State: { Status: string } }];
    expect(given[0].State.Status).toBe('created');
    await removeAll([other]);
    expect(await until(async () => (await supervisorsOf(t.root)).length === 0, 10_000)).toBe(true);
  });
});
