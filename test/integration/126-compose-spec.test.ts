import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { access, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { racker, tempRoot, uniqueName } from '../helpers/cli.js';

/**
 * A compose service and `racker run` are one container model: every service
 * key racker run has a flag for reaches the container's spec (inspect) and,
 * where it can be seen, the container itself; secrets and configs are files
 * bound read-only from outside the container; the health racker ps, racker
 * inspect and compose ps show, and that depends_on waits for, is the one the
 * container's supervisor records; compose run makes the networks it needs.
 */
let t: Awaited<ReturnType<typeof tempRoot>>;
let work: string;
const BUSYBOX = `${inject('registry')}/fixtures/busybox:latest`;
const projects: { name: string; dir: string }[] = [];

const rk = (args: string[], opts = {}) => racker(t.root, args, opts);
const compose = (p: { name: string; dir: string }, args: string[], opts = {}) => rk(['compose', '-p', p.name, '--project-directory', p.dir, '-f', path.join(p.dir, 'compose.yaml'), ...args], opts);

beforeAll(async () => {
  t = await tempRoot('compose-spec');
  work = await mkdtemp(path.join(tmpdir(), 'racker-compose-spec-work-'));
  expect((await rk(['pull', '-q', '--tls-verify=false', BUSYBOX])).exitCode).toBe(0);
});

afterAll(async () => {
  for (const p of projects) await compose(p, ['down', '-v', '--remove-orphans', '-t', '1']);
  for (const c of (await rk(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean)) await rk(['rm', '-f', '-v', c]);
  await rm(work, { recursive: true, force: true });
  await t.remove();
}, 180_000);

async function project(yaml: string, files: Record<string, string> = {}): Promise<{ name: string; dir: string }> {
  const p = { name: uniqueName('cs'), dir: path.join(work, uniqueName('proj')) };
  await mkdir(p.dir, { recursive: true });
  await writeFile(path.join(p.dir, 'compose.yaml'), yaml);
  for (const [file, body] of Object.entries(files)) await writeFile(path.join(p.dir, file), body);
  projects.push(p);
  return p;
}

/** Wait (for the event, with an overall limit) until the service's log has a line `marker`; the log. */
async function logUntil(p: { name: string; dir: string }, service: string, marker: string): Promise<string> {
  const end = Date.now() + 120_000;
  for (;;) {
    const out = (await compose(p, ['logs', '--no-color', service])).stdout;
    if (out.split('\n').some(l => l.endsWith(marker))) return out.split('\n').map(l => l.replace(/^[^|]*\| ?/, '')).join('\n');
    if (Date.now() > end) throw new Error(`no ${marker} in the log of ${service}: ${out.slice(-2000)}`);
    await new Promise(r => setTimeout(r, 200));
  }
}

const inspect = async (name: string) => JSON.parse((await rk(['inspect', name])).stdout)[0];

describe('the service keys racker run has flags for', () => {
  it('reach the container: inspect shows them as for racker run, and the container sees them', async () => {
    const sysctlOk = await access('/proc/sys/kernel/shmmax', constants.W_OK).then(() => true, () => false);
    const p = await project(`
services:
  all:
    image: ${BUSYBOX}
    command: ["sh", "-c", "grep CapEff /proc/self/status; ulimit -n; ulimit -Hn; grep ' /dev/shm ' /proc/mounts; cat /proc/sys/kernel/shmmax; ls /dev/mynull; grep NoNewPrivs /proc/self/status; echo pid1=$$(head -c 11 /proc/1/cmdline); echo READY; exec sleep 600"]
    cap_drop: [ALL]
    cap_add: [net_admin]
    cpus: 0.5
    cpu_shares: 512
    mem_limit: 64m
    memswap_limit: -1
    pids_limit: 40
    security_opt: [no-new-privileges]
    shm_size: 16m
    ${sysctlOk ? 'sysctls: {kernel.shmmax: "12345678"}' : ''}
    ulimits: {nofile: {soft: 1024, hard: 2048}}
    devices: [{source: /dev/null, target: /dev/mynull, permissions: rw}]
    init: true
    stop_signal: SIGINT
    healthcheck: {test: ["CMD", "true"], interval: 1s, retries: 2}
    label_file: ./labels
    labels: {b: from-labels}
  limits:
    image: ${BUSYBOX}
    command: ["sleep", "600"]
    deploy: {resources: {limits: {cpus: "1.5", memory: 32m, pids: 20}}}
`, { labels: 'a=from-file\nb=from-file\n' });
    const up = await compose(p, ['up', '-d']);
    expect(up.stderr).not.toMatch(/is not supported by racker/);
    expect(up.exitCode).toBe(0);
    const doc = await inspect(`${p.name}-all-1`);
    expect(doc.HostConfig).toMatchObject({
      CapAdd: ['NET_ADMIN'], CapDrop: ['ALL'], NanoCpus: 5e8, CpuShares: 512, Memory: 64 << 20, MemorySwap: -1, PidsLimit: 40,
      SecurityOpt: ['no-new-privileges'], ShmSize: 16 << 20, Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
      Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'rw' }], Init: true,
      ...(sysctlOk ? { Sysctls: { 'kernel.shmmax': '12345678' } } : {}),
    });
    expect(doc.Config).toMatchObject({ StopSignal: 'SIGINT', Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9, Retries: 2 }, Labels: { a: 'from-file', b: 'from-labels' } });
    expect((await inspect(`${p.name}-limits-1`)).HostConfig).toMatchObject({ NanoCpus: 1.5e9, Memory: 32 << 20, PidsLimit: 20 });

    const seen = (await logUntil(p, 'all', 'READY')).split('\n');
    expect(BigInt(`0x${seen.find(l => l.startsWith('CapEff'))!.split('\t')[1]}`)).toBe(1n << 12n);
    expect(seen).toContain('1024');
    expect(seen).toContain('2048');
    // the last /dev/shm mount is the one the container sees
    expect(seen.filter(l => l.includes(' /dev/shm ')).at(-1)).toContain('size=16384k');
    if (sysctlOk) expect(seen).toContain('12345678');
    expect(seen).toContain('/dev/mynull');
    expect(seen.find(l => l.startsWith('NoNewPrivs'))).toMatch(/NoNewPrivs:\s+1/);
    // --init: a reaper is PID 1, the command PID 2
    expect(seen).toContain('pid1=(sd-stubini');
  }, 300_000);
});

describe('secrets and configs', () => {
  it('are read-only files in the container, from root-only files outside it; compose config does not print a secret', async () => {
    const token = `tok-${uniqueName('s')}`;
    const p = await project(`
services:
  app:
    image: ${BUSYBOX}
    command: ["sh", "-c", "cat /run/secrets/db_pass; echo; cat /run/secrets/api; echo; cat /etc/app.conf; echo; stat -c '%a %u %g' /run/secrets/api; (echo x > /run/secrets/db_pass) 2>/dev/null && echo WRITABLE; echo READY; exec sleep 600"]
    secrets:
      - db_pass
      - {source: api_key, target: api, uid: "1000", gid: "1001", mode: 0o400}
    configs:
      - {source: app_conf, target: /etc/app.conf}
secrets:
  db_pass: {file: ./db_pass.txt}
  api_key: {environment: API_TOKEN}
configs:
  app_conf: {content: "listen 80"}
`, { 'db_pass.txt': 'hunter2' });
    const env = { ...process.env, API_TOKEN: token };
    const cfg = await compose(p, ['config'], { env });
    expect(cfg.exitCode).toBe(0);
    expect(cfg.stdout).not.toContain(token);
    expect(cfg.stdout).not.toContain('hunter2');
    expect(cfg.stdout).toMatch(/environment: API_TOKEN/);

    expect((await compose(p, ['up', '-d'], { env })).exitCode).toBe(0);
    const seen = (await logUntil(p, 'app', 'READY')).split('\n');
    expect(seen.slice(0, 4)).toEqual(['hunter2', token, 'listen 80', '400 1000 1001']);
    expect(seen).not.toContain('WRITABLE');

    // on the host: under racker's root, folders 0700; nothing in the container's writable layer but the empty mount point
    const id = (await inspect(`${p.name}-app-1`)).Id as string;
    const dir = path.join(t.root, 'compose-files', p.name, `${p.name}-app-1`);
    expect((await stat(path.join(t.root, 'compose-files'))).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(dir, 'secrets'))).mode & 0o777).toBe(0o700);
    expect(await readFile(path.join(dir, 'secrets', 'api_key'), 'utf8')).toBe(token);
    const upper = path.join(t.root, 'containers', id, 'upper');
    const inUpper = await readFile(path.join(upper, 'run/secrets/db_pass'), 'utf8').catch(() => '');
    expect(inUpper).toBe('');

    // down removes the files with the container
    expect((await compose(p, ['down', '-t', '1'])).exitCode).toBe(0);
    expect(await readdir(path.join(t.root, 'compose-files')).catch(() => [])).not.toContain(p.name);
  }, 300_000);

  it('a missing source is one line naming the service and the secret', async () => {
    const p = await project(`
services:
  app:
    image: ${BUSYBOX}
    command: ["true"]
    secrets: [gone, unset]
secrets:
  gone: {file: ./nope.txt}
  unset: {environment: RACKER_TEST_UNSET_VAR}
`);
    const r = await compose(p, ['up', '-d']);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toMatch(/service "app": secret "gone": file .*nope\.txt not found/);
    expect((await compose(p, ['ps', '-aq'])).stdout).toBe('');
  }, 120_000);
});

describe('one health system', () => {
  it('racker ps, racker inspect, compose ps and depends_on service_healthy agree on the same container', async () => {
    const p = await project(`
services:
  db:
    image: ${BUSYBOX}
    command: ["sh", "-c", "sleep 2; touch /ready; exec sleep 600"]
    healthcheck: {test: ["CMD", "test", "-e", "/ready"], interval: 500ms, retries: 100}
  app:
    image: ${BUSYBOX}
    command: ["sleep", "600"]
    depends_on: {db: {condition: service_healthy}}
`);
    const up = await compose(p, ['up', '-d']);
    expect(up.exitCode).toBe(0);
    expect(up.stderr).toMatch(new RegExp(`Container ${p.name}-db-1\\s+Healthy`));
    const db = `${p.name}-db-1`;
    // the supervisor recorded healthy before app started: all readers see that one record
    expect((await rk(['inspect', '-f', '{{.State.Health.Status}}', db])).stdout).toBe('healthy');
    expect((await rk(['ps', '--filter', `name=${db}`, '--format', '{{.Status}}'])).stdout).toMatch(/\(healthy\)$/);
    const rows = (await compose(p, ['ps', '--format', 'json'])).stdout.split('\n').filter(Boolean).map(l => JSON.parse(l) as { Service: string; Health: string });
    expect(rows.find(r => r.Service === 'db')!.Health).toBe('healthy');
    expect(rows.find(r => r.Service === 'app')!.Health).toBe('');
    const log = (await inspect(db)).State.Health.Log as { ExitCode: number }[];
    expect(log.at(-1)!.ExitCode).toBe(0);
  }, 300_000);
});

describe('compose run', () => {
  it('on a project never brought up makes the networks the service needs', async () => {
    const p = await project(`
services:
  tool:
    image: ${BUSYBOX}
    networks: [back]
networks:
  back: {}
`);
    const r = await compose(p, ['run', '--rm', 'tool', 'echo', 'ran']);
    expect(r.stderr).not.toMatch(/not found/);
    expect(r.stdout).toBe('ran');
    expect(r.exitCode).toBe(0);
    expect((await rk(['network', 'inspect', `${p.name}_back`])).exitCode).toBe(0);
  }, 180_000);

  it('takes docker compose run\'s flags: -e, -v, -w, -u, --entrypoint, --name, -l, -T, --no-deps, -d', async () => {
    const p = await project(`
services:
  tool:
    image: ${BUSYBOX}
    depends_on: [never]
  never:
    image: ${BUSYBOX}
    command: ["sleep", "600"]
`, { 'f.txt': 'mounted' });
    const name = uniqueName('one');
    const r = await compose(p, ['run', '--rm', '-T', '--no-deps', '-e', 'X=from-e', '-v', './f.txt:/m/f.txt:ro', '-w', '/tmp', '-u', 'root', '--entrypoint', 'sh -c',
      '--name', name, '-l', 'k=v', 'tool', 'echo $X; pwd; id -u; cat /m/f.txt; echo; [ -t 0 ] && echo tty || echo notty'], { cwd: p.dir });
    expect(r.stderr).not.toMatch(/never/);
    expect(r.stdout.split('\n'), r.stderr).toEqual(['from-e', '/tmp', '0', 'mounted', 'notty']);
    expect(r.exitCode).toBe(0);
    // --no-deps: the dependency was not started
    expect((await compose(p, ['ps', '-a', '--services'])).stdout).toBe('');
    const d = await compose(p, ['run', '-d', '--no-deps', '-l', 'k=v', 'tool', 'sleep', '600']);
    expect(d.exitCode, d.stderr).toBe(0);
    const doc = await inspect(d.stdout.trim());
    expect(doc.State.Running).toBe(true);
    expect(doc.Config.Labels).toMatchObject({ k: 'v', 'com.docker.compose.oneoff': 'True' });
  }, 180_000);
});

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('every supported service key', () => {
  it('reaches the container: one walk over keys.ts, each key with what inspect shows for it', async () => {
    const { SERVICE_KEYS } = await import('../../src/compose/keys.js');
    const sysctlOk = await access('/proc/sys/kernel/shmmax', constants.W_OK).then(() => true, () => false);
    // key → its lines in service w (or b), and what inspect of that container shows; `elsewhere`: where another test sees it
    const probes: Record<string, { w?: string; b?: string; check?: (w: Doc, b: Doc, p: { name: string; dir: string }) => void; elsewhere?: string }> = {
      image: { w: `image: ${BUSYBOX}`, check: w => expect(w.ImageName).toBe(BUSYBOX) },
      command: { w: 'command: ["600"]', check: w => expect(w.Config.Cmd.at(-1)).toBe('600') },
      entrypoint: { w: 'entrypoint: ["sleep"]', check: w => expect(w.Config.Cmd.slice(-2)).toEqual(['sleep', '600']) },
      environment: { w: 'environment: {E1: one}', check: w => expect(w.Config.Env).toContain('E1=one') },
      env_file: { w: 'env_file: ./env', check: w => expect(w.Config.Env).toContain('FROM_FILE=yes') },
      working_dir: { w: 'working_dir: /tmp', check: w => expect(w.Config.WorkingDir).toBe('/tmp') },
      user: { w: 'user: root', check: w => expect(w.Config.User).toBe('root') },
      hostname: { w: 'hostname: walker', check: w => expect(w.Config.Hostname).toBe('walker') },
      container_name: { b: 'container_name: ${CN}', check: (w, b) => expect(b.Name).toBe(process.env.RACKER_TEST_CN) },
      labels: { w: 'labels: {l1: v1}', check: w => expect(w.Config.Labels.l1).toBe('v1') },
      label_file: { w: 'label_file: ./labels', check: w => expect(w.Config.Labels.lf).toBe('from-file') },
      volumes: { w: 'volumes: ["./data:/data:ro", "named:/named"]', check: w => expect(w.Mounts).toEqual(expect.arrayContaining([expect.objectContaining({ Type: 'bind', Destination: '/data', RW: false }), expect.objectContaining({ Type: 'volume', Destination: '/named' })])) },
      ports: { w: 'ports: ["127.0.0.1::80"]', check: w => expect(Object.keys(w.HostConfig.PortBindings)).toEqual(['80/tcp']) },
      expose: { elsewhere: 'recorded in the config hash only (as docker, it opens nothing): unit test render/hash' },
      networks: { w: 'networks: {front: {aliases: [walker-alias]}}', check: (w, _b, p) => expect(w.NetworkSettings.Networks[`${p.name}_front`].Aliases).toEqual(['w', 'walker-alias']) },
      network_mode: { b: 'network_mode: "service:w"', check: (w, b) => expect(b.HostConfig.NetworkMode).toBe(`container:${w.Id}`) },
      depends_on: { b: 'depends_on: [w]', elsewhere: 'start order: 125-compose.test.ts' },
      healthcheck: { w: 'healthcheck: {test: ["CMD", "true"], interval: 1m}', check: w => expect(w.Config.Healthcheck).toMatchObject({ Test: ['CMD', 'true'], Interval: 60e9 }) },
      restart: { elsewhere: 'warned at up (no daemon): unit test service-spec' },
      stop_signal: { w: 'stop_signal: SIGUSR1', check: w => expect(w.Config.StopSignal).toBe('SIGUSR1') },
      stop_grace_period: { w: 'stop_grace_period: 3s', check: w => expect(w.HostConfig.StopTimeout).toBe(3) },
      extra_hosts: { w: 'extra_hosts: ["db.local:10.9.8.7"]', check: w => expect(w.HostConfig.ExtraHosts).toEqual(['db.local:10.9.8.7']) },
      dns: { w: 'dns: [10.9.8.1]', check: w => expect(w.HostConfig.Dns).toEqual(['10.9.8.1']) },
      tmpfs: { w: 'tmpfs: ["/scratch:size=1m"]', check: w => expect(w.Mounts).toEqual(expect.arrayContaining([expect.objectContaining({ Type: 'tmpfs', Destination: '/scratch' })])) },
      read_only: { b: 'read_only: true', check: (w, b) => expect(b.HostConfig.ReadonlyRootfs).toBe(true) },
      init: { w: 'init: true', check: w => expect(w.HostConfig.Init).toBe(true) },
      tty: { b: 'tty: true', check: (w, b) => expect(b.Config.Tty).toBe(true) },
      stdin_open: { b: 'stdin_open: true', check: (w, b) => expect(b.Config.OpenStdin).toBe(true) },
      pull_policy: { w: 'pull_policy: never', elsewhere: 'the image is not pulled: unit test up' },
      profiles: { elsewhere: 'which services are active: unit test load' },
      scale: { elsewhere: 'containers 1..N: unit test up' },
      extends: { b: 'extends: base', check: (w, b) => expect(b.Config.Env).toContain('FROM_BASE=yes') },
      'x-racker': { elsewhere: 'boot: 125-compose.test.ts an OS container in compose' },
      cap_add: { w: 'cap_add: [NET_ADMIN]', check: w => expect(w.HostConfig.CapAdd).toEqual(['NET_ADMIN']) },
      cap_drop: { w: 'cap_drop: [MKNOD]', check: w => expect(w.HostConfig.CapDrop).toEqual(['MKNOD']) },
      cpus: { w: 'cpus: 0.5', check: w => expect(w.HostConfig.NanoCpus).toBe(5e8) },
      cpu_shares: { w: 'cpu_shares: 256', check: w => expect(w.HostConfig.CpuShares).toBe(256) },
      devices: { w: 'devices: ["/dev/null:/dev/walknull:r"]', check: w => expect(w.HostConfig.Devices).toEqual([{ PathOnHost: '/dev/null', PathInContainer: '/dev/walknull', CgroupPermissions: 'r' }]) },
      mem_limit: { w: 'mem_limit: 48m', check: w => expect(w.HostConfig.Memory).toBe(48 << 20) },
      memswap_limit: { w: 'memswap_limit: 96m', check: w => expect(w.HostConfig.MemorySwap).toBe(96 << 20) },
      mem_reservation: { w: 'mem_reservation: 32m', check: w => expect(w.HostConfig.MemoryReservation).toBe(32 << 20) },
      pids_limit: { w: 'pids_limit: 64', check: w => expect(w.HostConfig.PidsLimit).toBe(64) },
      privileged: { b: 'privileged: true', check: (w, b) => expect(b.HostConfig.Privileged).toBe(true) },
      security_opt: { w: 'security_opt: [no-new-privileges]', check: w => expect(w.HostConfig.SecurityOpt).toEqual(['no-new-privileges']) },
      shm_size: { w: 'shm_size: 8m', check: w => expect(w.HostConfig.ShmSize).toBe(8 << 20) },
      sysctls: sysctlOk ? { w: 'sysctls: {kernel.msgmax: "9000"}', check: w => expect(w.HostConfig.Sysctls).toEqual({ 'kernel.msgmax': '9000' }) } : { elsewhere: '/proc/sys is read-only here' },
      ulimits: { w: 'ulimits: {nproc: 500}', check: w => expect(w.HostConfig.Ulimits).toEqual([{ Name: 'nproc', Soft: 500, Hard: 500 }]) },
      platform: { b: `platform: linux/${process.arch === 'x64' ? 'amd64' : process.arch}`, elsewhere: 'accepted for the host\'s platform: unit test' },
      secrets: { w: 'secrets: [s1]', check: w => expect(w.Mounts).toEqual(expect.arrayContaining([expect.objectContaining({ Type: 'bind', Destination: '/run/secrets/s1', RW: false })])) },
      configs: { w: 'configs: [{source: c1, target: /etc/c1.conf}]', check: w => expect(w.Mounts).toEqual(expect.arrayContaining([expect.objectContaining({ Type: 'bind', Destination: '/etc/c1.conf', RW: false })])) },
      deploy: { b: 'deploy: {resources: {limits: {pids: 33}}}', check: (w, b) => expect(b.HostConfig.PidsLimit).toBe(33) },
    };
    const supported = Object.entries(SERVICE_KEYS).filter(([, r]) => r.status === 'supported').map(([k]) => k);
    expect(supported.filter(k => !probes[k]), 'supported keys without a probe').toEqual([]);

    const cn = uniqueName('walk-b');
    process.env.RACKER_TEST_CN = cn;
    const lines = (which: 'w' | 'b') => Object.values(probes).flatMap(x => (x[which] ? [`    ${x[which]}`] : [])).join('\n');
    const p = await project(`
services:
  base:
    image: ${BUSYBOX}
    command: ["true"]
    environment: {FROM_BASE: "yes"}
  w:
${lines('w')}
  b:
    image: ${BUSYBOX}
    command: ["sleep", "600"]
${lines('b')}
networks:
  front: {}
volumes:
  named: {}
secrets:
  s1: {content: walk-secret}
configs:
  c1: {content: walk-config}
`.replace('${CN}', cn), { env: 'FROM_FILE=yes\n', labels: 'lf=from-file\n' });
    await mkdir(path.join(p.dir, 'data'));
    const up = await compose(p, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).not.toMatch(/is not supported by racker/);
    const w = await inspect(`${p.name}-w-1`);
    const b = await inspect(cn);
    for (const [key, probe] of Object.entries(probes)) {
      if (!probe.check) continue;
      try {
        probe.check(w, b, p);
      } catch (err) {
        throw new Error(`${key}: ${(err as Error).message}`);
      }
    }
  }, 300_000);
});
