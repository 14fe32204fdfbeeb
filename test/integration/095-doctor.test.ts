import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { racker, RACKER, tempRoot } from '../helpers/cli.js';
import { readProcFile } from '../../src/process.js';

interface Report { status: string; root: string; checks: { name: string; status: string; detail: string; fix: string | null }[] }

/** The checks docs/doctor.md documents, one line each. */
const DOCUMENTED = ['root', 'overlayfs', 'namespaces', 'systemd-nspawn', 'tool:skopeo', 'tool:mmdebstrap', 'tool:setfattr', 'tool:getfattr',
  'tool:nsenter', 'tool:mount', 'tool:umoci', 'keyring:debian-archive-keyring', 'keyring:debian-archive-removed-keys', 'keyring:ubuntu-archive-keyring', 'firewall',
  'cgroup', 'pid1', 'machined', 'store-space', 'store-fs', 'signature-policy'];

async function mountsUnder(dir: string): Promise<string[]> {
  return (await readProcFile('/proc/self/mounts')).split('\n').filter(l => l.split(' ')[1]?.startsWith(dir));
}

let t: Awaited<ReturnType<typeof tempRoot>>;
beforeAll(async () => { t = await tempRoot('doctor'); });
afterAll(async () => { await t.remove(); });

describe('racker doctor', () => {
  it('passes on this host, quickly, and prints one line per check', async () => {
    const started = Date.now();
    const r = await racker(t.root, ['doctor']);
    const elapsed = Date.now() - started;
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    for (const name of DOCUMENTED) expect(r.stdout).toMatch(new RegExp(`^(ok|warn) +${name} `, 'm'));
    expect(r.stdout).not.toMatch(/^fail /m);
    expect(r.stdout).toMatch(/^ready: \d+ ok, \d+ warnings, 0 failed$/m);
    // node's own start is ~0.5 s of that; the checks run concurrently
    expect(elapsed).toBeLessThan(3000);
  });

  it('--format json is the documented object, with every check', async () => {
    const r = await racker(t.root, ['doctor', '--format', 'json']);
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.root).toBe(t.root);
    expect(['ok', 'warn']).toContain(report.status);
    expect(report.checks.map(c => c.name).sort()).toEqual([...DOCUMENTED].sort());
    for (const c of report.checks) {
      expect(Object.keys(c).sort()).toEqual(['detail', 'fix', 'name', 'status']);
      expect(['ok', 'warn']).toContain(c.status);
      expect(c.detail.length).toBeGreaterThan(0);
      if (c.status === 'ok') expect(c.fix).toBeNull();
      else expect(c.fix).toBeTruthy();
    }
    expect(report.checks.find(c => c.name === 'store-fs')).toMatchObject({ status: 'ok' });
    expect(report.checks.find(c => c.name === 'store-fs')?.detail).toContain('a test overlay with its upper dir there mounted and took writes');
    // the overlay probe leaves nothing in the store and nothing mounted
    expect(await readdir(t.root)).toEqual([]);
    expect(await mountsUnder(t.root)).toEqual([]);
  });

  it('a PATH without skopeo: tool:skopeo fails with the apt-get fix, exit 1', async () => {
    const bin = await mkdtemp(path.join(tmpdir(), 'racker-test-doctor-path-'));
    try {
      // every command on our PATH (the first of each name), except skopeo
      const seen = new Set<string>(['skopeo']);
      for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
        for (const name of await readdir(dir).catch(() => [] as string[])) {
          if (seen.has(name)) continue;
          seen.add(name);
          await symlink(path.join(dir, name), path.join(bin, name));
        }
      }
      const r = await racker(t.root, ['doctor', '--format', 'json'], { env: { PATH: bin } });
      expect(r.exitCode).toBe(1);
      const report = JSON.parse(r.stdout) as Report;
      expect(report.status).toBe('fail');
      expect(report.checks.find(c => c.name === 'tool:skopeo')).toMatchObject({ status: 'fail', fix: 'apt-get install skopeo' });
      // only skopeo is missing
      expect(report.checks.filter(c => c.status === 'fail').map(c => c.name)).toEqual(['tool:skopeo']);
      expect(report.checks.find(c => c.name === 'systemd-nspawn')?.status).toBe('ok');
      const table = await racker(t.root, ['doctor'], { env: { PATH: bin } });
      expect(table.exitCode).toBe(1);
      expect(table.stdout).toMatch(/^fail +tool:skopeo +skopeo not found on PATH/m);
      expect(table.stdout).toMatch(/^ +fix: apt-get install skopeo$/m);
      expect(table.stdout).toMatch(/^not ready: .* 1 failed$/m);
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });

  it('a store on overlayfs: store-fs fails, the probe cleans up, exit 1', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'racker-test-doctor-ovl-'));
    const merged = path.join(dir, 'merged');
    let mounted = false;
    try {
      for (const d of ['lower', 'upper', 'work', 'merged']) await mkdir(path.join(dir, d));
      await execa('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${dir}/lower,upperdir=${dir}/upper,workdir=${dir}/work`, merged]);
      mounted = true;
      const store = path.join(merged, 'store');
      await mkdir(store);
      const r = await racker(store, ['doctor', '--format', 'json']);
      expect(r.exitCode).toBe(1);
      const report = JSON.parse(r.stdout) as Report;
      const fs = report.checks.find(c => c.name === 'store-fs');
      expect(fs?.status).toBe('fail');
      expect(fs?.detail).toContain(`${store} is on overlay`);
      expect(fs?.fix).toContain('--root');
      // the verdict comes from really mounting a test overlay there (mount's own reason), not only from statfs
      expect(fs?.detail).toContain('wrong fs type');
      expect(report.checks.filter(c => c.status === 'fail').map(c => c.name)).toEqual(['store-fs']);
      expect(await readdir(store)).toEqual([]);
      expect(await mountsUnder(store)).toEqual([]);
    } finally {
      if (mounted) await execa('umount', [merged]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a store that does not exist yet is checked at its parent and not created', async () => {
    const missing = path.join(t.root, 'not', 'yet');
    const r = await racker(missing, ['doctor', '--format', 'json']);
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.checks.find(c => c.name === 'store-space')?.detail).toContain(`${t.root} (${missing} does not exist yet)`);
    expect(report.checks.find(c => c.name === 'store-fs')?.status).toBe('ok');
    expect(await readdir(t.root)).toEqual([]);
  });

  it('not root: root fails, the overlay probe is not tried (warn), exit 1', async () => {
    const r = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', RACKER, '--root', t.root, 'doctor', '--format', 'json'],
      { reject: false, stdin: 'ignore' });
    expect(r.exitCode).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.checks.find(c => c.name === 'root')).toMatchObject({ status: 'fail', detail: expect.stringContaining('uid 65534') });
    expect(report.checks.find(c => c.name === 'store-fs')).toMatchObject({ status: 'warn', detail: expect.stringContaining('not tested') });
    expect(report.checks.filter(c => c.status === 'fail').map(c => c.name)).toEqual(['root']);
  });

  it('an unknown --format is one line and 125', async () => {
    const r = await racker(t.root, ['doctor', '--format', 'yaml']);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain("unknown --format 'yaml'");
    expect(r.stdout).toBe('');
  });
});
