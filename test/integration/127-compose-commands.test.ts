import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { RACKER, racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { systemdIsPid1 } from '../../src/runtime/host.js';
import { freePort } from '../helpers/registry.js';

/**
 * compose create, images, ls, wait, events and version against real
 * containers: each command's output checked against what the test set up.
 */
let t: Awaited<ReturnType<typeof tempRoot>>;
let work: string;
const BUSYBOX = `${inject('registry')}/fixtures/busybox:latest`;
const projects: { name: string; dir: string }[] = [];

const rk = (args: string[], opts = {}) => racker(t.root, args, opts);
const composeArgs = (p: { name: string; dir: string }) => ['compose', '-p', p.name, '--project-directory', p.dir, '-f', path.join(p.dir, 'compose.yaml')];
const compose = (p: { name: string; dir: string }, args: string[], opts = {}) => rk([...composeArgs(p), ...args], opts);

beforeAll(async () => {
  t = await tempRoot('compose-cmds');
  work = await mkdtemp(path.join(tmpdir(), 'racker-compose-cmds-'));
  expect((await rk(['pull', '-q', '--tls-verify=false', BUSYBOX])).exitCode).toBe(0);
});

afterAll(async () => {
  for (const p of projects) await compose(p, ['down', '-v', '--remove-orphans', '-t', '1']);
  for (const c of (await rk(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean)) await rk(['rm', '-f', '-v', c]);
  await rk(['network', 'rm', 'racker']);
  await rm(work, { recursive: true, force: true });
  await t.remove();
}, 180_000);

async function project(yaml: string): Promise<{ name: string; dir: string }> {
  const p = { name: uniqueName('cc'), dir: path.join(work, uniqueName('proj')) };
  await mkdir(p.dir, { recursive: true });
  await writeFile(path.join(p.dir, 'compose.yaml'), yaml);
  projects.push(p);
  return p;
}

/** `job` exits 3 at once; `waiter` exits 7 once /tmp/go exists in it. */
const YAML = `
services:
  job:
    image: ${BUSYBOX}
    command: ["sh", "-c", "exit 3"]
  waiter:
    image: ${BUSYBOX}
    command: ["sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.1; done; exit 7"]
    stop_grace_period: 1s
`;

describe('compose commands', () => {
  it('version: racker\'s version in docker compose\'s shape', async () => {
    const pretty = await rk(['compose', 'version']);
    expect(pretty.exitCode).toBe(0);
    expect(pretty.stdout).toMatch(/^racker compose version v\d+\.\d+\.\d+$/);
    const short = (await rk(['compose', 'version', '--short'])).stdout.trim();
    expect(pretty.stdout).toContain(`v${short}`);
    expect(JSON.parse((await rk(['compose', 'version', '--format', 'json'])).stdout)).toEqual({ version: `v${short}` });
  });

  it('create makes the containers and starts none; ls and images show them', async () => {
    const p = await project(YAML);
    const created = await compose(p, ['create']);
    expect(created.exitCode, created.stderr).toBe(0);
    expect(created.stderr).toContain(`Container ${p.name}-job-1  Created`);
    const ps = (await compose(p, ['ps', '-a', '--format', 'json'])).stdout.trim().split('\n').map(l => JSON.parse(l) as { Name: string; State: string });
    expect(ps.map(r => [r.Name, r.State]).sort()).toEqual([[`${p.name}-job-1`, 'created'], [`${p.name}-waiter-1`, 'created']]);

    // ls: no running container, so only with --all
    expect((await rk(['compose', 'ls', '-q'])).stdout.split('\n')).not.toContain(p.name);
    const ls = await rk(['compose', 'ls', '--all']);
    expect(ls.stdout.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+CONFIG FILES$/);
    const line = ls.stdout.split('\n').find(l => l.startsWith(`${p.name} `));
    expect(line).toMatch(new RegExp(`^${p.name}\\s+created\\(2\\)\\s+${path.join(p.dir, 'compose.yaml')}$`));
    const json = JSON.parse((await rk(['compose', 'ls', '--all', '--format', 'json'])).stdout) as { Name: string; Status: string; ConfigFiles: string }[];
    expect(json.find(r => r.Name === p.name)).toEqual({ Name: p.name, Status: 'created(2)', ConfigFiles: path.join(p.dir, 'compose.yaml') });

    // images: one row per container, the image as the store names it
    const images = await compose(p, ['images']);
    expect(images.exitCode, images.stderr).toBe(0);
    const [header, ...rows] = images.stdout.trim().split('\n');
    expect(header).toMatch(/^CONTAINER\s+REPOSITORY\s+TAG\s+IMAGE ID\s+SIZE$/);
    const repo = BUSYBOX.replace(/:latest$/, '');
    expect(rows.map(r => r.split(/\s+/).slice(0, 3)).sort()).toEqual([[`${p.name}-job-1`, repo, 'latest'], [`${p.name}-waiter-1`, repo, 'latest']]);
    const id = (await rk(['images', '-q', '--no-trunc', BUSYBOX])).stdout.trim();
    const imgJson = JSON.parse((await compose(p, ['images', '--format', 'json', 'job'])).stdout) as { ID: string; ContainerName: string }[];
    expect(imgJson.map(r => [r.ContainerName, r.ID])).toEqual([[`${p.name}-job-1`, id]]);
    expect((await compose(p, ['images', 'nosuch'])).exitCode).toBe(125);
  });

  it('wait prints the exit code when the container stops; ls shows the project while it runs', async () => {
    const p = await project(YAML);
    expect((await compose(p, ['up', '-d', 'waiter'])).exitCode).toBe(0);
    expect((await rk(['compose', 'ls', '-q'])).stdout.split('\n')).toContain(p.name);
    expect((await rk(['compose', 'ls'])).stdout).toMatch(new RegExp(`^${p.name}\\s+running\\(1\\)\\s`, 'm'));
    const waiting = execa(RACKER, ['--root', t.root, ...composeArgs(p), 'wait', 'waiter'], { reject: false, stdin: 'ignore', timeout: 120_000 });
    const go = await compose(p, ['exec', '-T', 'waiter', 'touch', '/tmp/go']);
    expect(go.exitCode, go.stderr).toBe(0);
    const r = await waiting;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toBe('7');
  });

  it('events streams the project\'s container events, as text or JSON', async () => {
    const p = await project(YAML);
    expect((await compose(p, ['create', 'job'])).exitCode).toBe(0);
    const proc = execa(RACKER, ['--root', t.root, ...composeArgs(p), 'events', '--json'], { reject: false, stdin: 'ignore', timeout: 120_000 });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    const sawDie = () => out.split('\n').filter(Boolean).map(l => JSON.parse(l) as { action: string; service: string; id: string; attributes: Record<string, string> })
      .find(e => e.action === 'die' && e.service === 'job');
    try {
      // events reads the store first, then reports changes: start the job until one of its runs is seen ending
      for (let i = 0; i < 60 && !sawDie(); i++) expect((await compose(p, ['start', 'job'])).exitCode).toBe(0);
      const die = sawDie();
      expect(die).toMatchObject({ service: 'job', attributes: { name: `${p.name}-job-1`, exitCode: '3', image: BUSYBOX } });
      expect(out).toContain('"action":"start"');
    } finally {
      proc.kill('SIGINT');
    }
    expect((await proc).exitCode).toBe(0);
  });

  // where PID 1 is systemd the floor is the scope's MemoryLow= (test/unit/runtime/parity-args.test.ts)
  it.skipIf(systemdIsPid1())('--memory-reservation, mem_reservation and deploy.resources.reservations.memory set the container\'s memory floor', async () => {
    const inside = 'cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.low';
    const run = await rk(['run', '--rm', '--memory-reservation', '48m', BUSYBOX, 'sh', '-c', inside]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(String(48 << 20));
    expect((await rk(['run', '--rm', '-m', '16m', '--memory-reservation', '32m', BUSYBOX, 'true'])).stderr).toMatch(/Minimum memory limit can not be less than memory reservation limit/);
    const p = await project(`
services:
  a:
    image: ${BUSYBOX}
    command: ["sh", "-c", "${inside}"]
    mem_reservation: 40m
  b:
    image: ${BUSYBOX}
    command: ["sh", "-c", "${inside}"]
    deploy: {resources: {reservations: {memory: 24m}}}
`);
    for (const [svc, bytes] of [['a', 40 << 20], ['b', 24 << 20]] as const) {
      const r = await compose(p, ['run', '--rm', '-T', svc]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/reservation/);
      expect(r.stdout.trim()).toBe(String(bytes));
    }
  });

  it('racker run -p takes a port range, read by the parser compose uses', async () => {
    // two adjacent free ports: retry until the one after a free port is free too
    let first = 0;
    for (let i = 0; i < 50 && !first; i++) {
      const p = await freePort();
      if (p < 65535 && await new Promise<boolean>(res => { const s = createServer().once('error', () => res(false)).listen(p + 1, '127.0.0.1', () => s.close(() => res(true))); })) first = p;
    }
    expect(first).toBeGreaterThan(0);
    const n = uniqueName('range');
    const r = await rk(['run', '-d', '--name', n, '-p', `127.0.0.1:${first}-${first + 1}:80-81`, BUSYBOX, 'sleep', '60']);
    try {
      expect(r.exitCode, r.stderr).toBe(0);
      const doc = JSON.parse((await rk(['inspect', n])).stdout)[0] as { NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[]> } };
      expect(doc.NetworkSettings.Ports['80/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: String(first) }]);
      expect(doc.NetworkSettings.Ports['81/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: String(first + 1) }]);
    } finally {
      await rk(['rm', '-f', n]);
    }
    const bad = await rk(['run', '--rm', '-p', '80:http', BUSYBOX, 'true']);
    expect(bad.exitCode).toBe(125);
    expect(bad.stderr).toMatch(/invalid containerPort: http/);
  });
});
