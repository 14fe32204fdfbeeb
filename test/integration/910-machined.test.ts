import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { POSTROJ, racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { MIRROR_CACHE, DEBIAN_MIRROR } from '../helpers/debian.js';
import { readProcFile } from '../../src/process.js';

/**
 * What differs on a host whose PID 1 is systemd: containers register with systemd-machined.
 * Runs where PID 1 is systemd (the systemd-host lane, 900-systemd-host, and Vagrant); skipped elsewhere.
 */
const systemdHost = existsSync('/run/systemd/system');
const reg = inject('registry');
const BUSYBOX = `${reg}/fixtures/busybox:latest`;
const env = { ...process.env, RACKER_MIRROR_CACHE: path.join(MIRROR_CACHE, 'mirror') };
let t: Awaited<ReturnType<typeof tempRoot>>;
const names: string[] = [];
const rk = (args: string[], opts = {}) => racker(t.root, args, { env, ...opts });

function name(prefix: string): string {
  const n = uniqueName(prefix);
  names.push(n);
  return n;
}

/** The machines machined knows, by name. */
async function machines(): Promise<string[]> {
  const r = await execa('machinectl', ['list', '--no-legend', '--no-pager'], { reject: false });
  expect(r.exitCode).toBe(0);
  return r.stdout.split('\n').map(l => l.trim().split(/\s+/)[0]).filter(Boolean);
}

/** Names `racker ps` shows as running. */
async function running(): Promise<string[]> {
  const r = await rk(['ps', '--format', '{{.Names}}']);
  expect(r.exitCode).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

describe.skipIf(!systemdHost)('on a systemd host, containers register with machined', () => {
  beforeAll(async () => {
    t = await tempRoot('machined');
    expect((await rk(['pull', '-q', '--tls-verify=false', BUSYBOX])).exitCode).toBe(0);
    const r = await execa(POSTROJ, ['--root', t.root, 'pull', 'debian-bookworm', '--source', 'mirror', '--mirror', DEBIAN_MIRROR],
      { reject: false, env, stdin: 'ignore', timeout: 20 * 60_000 });
    expect(r.stdout + r.stderr).toContain('debian-bookworm: ready');
  }, 20 * 60_000);

  afterAll(async () => {
    for (const n of names) await rk(['rm', '-f', n]);
    const mounts = (await readProcFile('/proc/self/mounts')).split('\n').filter(l => l.includes(t.root));
    const left = (await machines()).filter(m => names.includes(m));
    await t.remove();
    expect(mounts).toEqual([]);
    expect(left).toEqual([]);
  });

  it('an app container shows in machinectl list while it runs; ps, logs and machinectl agree; rm unregisters it', async () => {
    const n = name('mach-app');
    const marker = uniqueName('marker');
    const r = await rk(['run', '-d', '--name', n, BUSYBOX, 'sh', '-c', `echo ${marker}; exec sleep 300`]);
    expect(r.exitCode).toBe(0);
    await expect.poll(() => rk(['logs', n]).then(l => l.stdout), { timeout: 20_000 }).toContain(marker);

    expect(await machines()).toContain(n);
    expect(await running()).toContain(n);
    // machined sees the process racker started: its leader runs the command racker logs shows the output of
    const leader = await execa('machinectl', ['show', n, '--property=Leader', '--value'], { reject: false });
    expect(leader.exitCode).toBe(0);
    expect(Number(leader.stdout.trim())).toBeGreaterThan(1);
    const status = await execa('machinectl', ['status', n, '--no-pager', '--lines=0'], { reject: false });
    expect(status.stdout).toContain('sleep 300');

    expect((await rk(['stop', '-t', '1', n])).exitCode).toBe(0);
    expect(await machines()).not.toContain(n);
    expect(await running()).not.toContain(n);
    expect((await rk(['ps', '-a', '--format', '{{.Names}}'])).stdout.split('\n')).toContain(n);
    expect((await rk(['logs', n])).stdout).toContain(marker);

    expect((await rk(['rm', n])).exitCode).toBe(0);
    expect(await machines()).not.toContain(n);
    const gone = await execa('machinectl', ['status', n, '--no-pager'], { reject: false });
    expect(gone.exitCode).not.toBe(0);
  });

  it('a booted OS container registers as a running debian machine and rm -f leaves nothing registered', async () => {
    const n = name('mach-boot');
    const r = await rk(['run', '-d', '--name', n, 'debian-bookworm']);
    expect(r.exitCode).toBe(0);
    await expect.poll(() => machines(), { timeout: 60_000 }).toContain(n);
    expect(await running()).toContain(n);
    const state = await execa('machinectl', ['show', n, '--property=State', '--value'], { reject: false });
    expect(state.stdout.trim()).toBe('running');
    const list = await execa('machinectl', ['list', '--no-legend', '--no-pager'], { reject: false });
    expect(list.stdout.split('\n').find(l => l.trim().startsWith(`${n} `))).toMatch(/systemd-nspawn\s+debian\s+12/);
    const inside = await rk(['exec', n, 'cat', '/proc/1/comm']);
    expect(inside.stdout).toBe('systemd');

    expect((await rk(['rm', '-f', n])).exitCode).toBe(0);
    expect(await machines()).not.toContain(n);
    expect(await running()).not.toContain(n);
  });
});
