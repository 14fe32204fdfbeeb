import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { RACKER, POSTROJ, racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { freePort } from '../helpers/registry.js';
import { MIRROR_CACHE, DEBIAN_MIRROR } from '../helpers/debian.js';

/**
 * racker compose on the engine, with projects shaped like real ones: a web
 * front that proxies by service name to a backend, which reads a "db" that
 * has a health check, filled by a one-shot migration into a named volume; a
 * published port reached from the host on 127.0.0.1; a booted OS container.
 * Real nspawn, bridges, nft rules and volumes; traffic only to 127.0.0.1 and
 * to the containers this file starts.
 */
let t: Awaited<ReturnType<typeof tempRoot>>;
let work: string;
const BUSYBOX = `${inject('registry')}/fixtures/busybox:latest`;
const projects: { name: string; dir: string }[] = [];
const env = { ...process.env, RACKER_MIRROR_CACHE: path.join(MIRROR_CACHE, 'mirror') };

const rk = (args: string[], opts = {}) => racker(t.root, args, { env, ...opts });
const compose = (p: { name: string; dir: string }, args: string[], opts = {}) => rk(['compose', '-p', p.name, '--project-directory', p.dir, '-f', path.join(p.dir, 'compose.yaml'), ...args], opts);

beforeAll(async () => {
  t = await tempRoot('compose');
  work = await mkdtemp(path.join(tmpdir(), 'racker-compose-work-'));
  expect((await rk(['pull', '-q', '--tls-verify=false', BUSYBOX])).exitCode).toBe(0);
});

afterAll(async () => {
  // everything a test made, even when it failed half-way
  for (const p of projects) await compose(p, ['down', '-v', '--remove-orphans', '-t', '1']);
  for (const c of (await rk(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean)) await rk(['rm', '-f', '-v', c]);
  await rk(['network', 'rm', 'racker']);
  await rm(work, { recursive: true, force: true });
  await t.remove();
}, 180_000);

async function project(yaml: string, files: Record<string, string> = {}): Promise<{ name: string; dir: string }> {
  const p = { name: uniqueName('cp'), dir: path.join(work, uniqueName('proj')) };
  await mkdir(p.dir, { recursive: true });
  await writeFile(path.join(p.dir, 'compose.yaml'), yaml);
  for (const [file, body] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(p.dir, file)), { recursive: true });
    await writeFile(path.join(p.dir, file), body);
    if (file.includes('cgi-bin/')) await chmod(path.join(p.dir, file), 0o755);
  }
  projects.push(p);
  return p;
}

/** The project's containers' full ids: those with its labels, and any container named after it. */
async function ids(p: { name: string; dir: string }): Promise<string[]> {
  const labelled = (await compose(p, ['ps', '-aq'])).stdout.split('\n').filter(Boolean);
  const named = (await rk(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}}'])).stdout.split('\n')
    .filter(l => l.split(' ')[1]?.startsWith(`${p.name}-`)).map(l => l.split(' ')[0]);
  return [...new Set([...labelled, ...named])].sort();
}

async function hostGet(port: number, urlPath: string, want: RegExp): Promise<string> {
  let body = '';
  for (let i = 0; i < 50 && !want.test(body); i++) {
    body = (await execa('busybox', ['wget', '-qO-', `http://127.0.0.1:${port}${urlPath}`], { reject: false, timeout: 5_000 })).stdout;
    if (!want.test(body)) await new Promise(r => setTimeout(r, 200));
  }
  return body;
}

/** What of these containers is still on the host: namespaces, veths, port tables, mounts. */
async function hostLeftovers(containerIds: string[]): Promise<string[]> {
  const out: string[] = [];
  const ns = (await execa('ip', ['netns', 'list'], { reject: false })).stdout;
  const links = (await execa('ip', ['-o', 'link'], { reject: false })).stdout;
  const nft = (await execa('nft', ['list', 'tables'], { reject: false })).stdout;
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  for (const id of containerIds) {
    if (ns.includes(`rk-${id.slice(0, 12)}`)) out.push(`namespace of ${id}`);
    if (links.includes(`rk-${id.slice(0, 8)}`)) out.push(`veth of ${id}`);
    if (nft.includes(`racker-p-${id.slice(0, 12)}`)) out.push(`port table of ${id}`);
    if (mounts.includes(id)) out.push(`mount of ${id}`);
  }
  return out;
}

const cgi = (body: string) => `#!/bin/sh\necho 'Content-Type: text/plain'\necho\n${body}\n`;

/** web -> backend -> db (healthcheck) <- migrate (one-shot) on a named volume; web published on 127.0.0.1. */
const APP = (port: number) => `
services:
  web:
    image: ${BUSYBOX}
    command: ["busybox", "httpd", "-f", "-p", "80", "-h", "/www"]
    # busybox httpd as PID 1 ignores SIGTERM
    stop_grace_period: 1s
    volumes: ["./web:/www:ro"]
    ports: ["127.0.0.1:${port}:80"]
    depends_on: [backend]
  backend:
    image: ${BUSYBOX}
    command: ["busybox", "httpd", "-f", "-p", "80", "-h", "/www"]
    # busybox httpd as PID 1 ignores SIGTERM
    stop_grace_period: 1s
    environment:
      GREETING: "\${GREETING:-hello}"
    volumes: ["./backend:/www:ro"]
    networks: [default, back]
    depends_on:
      db: {condition: service_healthy}
  db:
    image: ${BUSYBOX}
    # not ready at once: the health check has to wait for it
    command: ["sh", "-c", "sleep 2; exec busybox httpd -f -p 80 -h /data"]
    stop_grace_period: 1s
    volumes: ["dbdata:/data"]
    networks: [back]
    healthcheck:
      test: ["CMD", "busybox", "wget", "-qO-", "http://127.0.0.1/"]
      interval: 1s
      timeout: 3s
      retries: 20
    depends_on:
      migrate: {condition: service_completed_successfully}
  migrate:
    image: ${BUSYBOX}
    command: ["sh", "-c", "echo migrated >> /data/index.html; echo migration done"]
    volumes: ["dbdata:/data"]
    networks: [back]
networks:
  back:
    internal: true
volumes:
  dbdata:
`;
const APP_FILES = {
  'web/cgi-bin/proxy': cgi('busybox wget -qO- http://backend/cgi-bin/api'),
  'backend/cgi-bin/api': cgi('echo "$GREETING from backend; db says:"; busybox wget -qO- http://db/'),
};

interface PsRow { Name: string; Service: string; State: string; Health: string; ExitCode: number; ID: string }
const ps = async (p: { name: string; dir: string }) => (await compose(p, ['ps', '-a', '--format', 'json'])).stdout.split('\n').filter(Boolean).map(l => JSON.parse(l) as PsRow);

describe('racker compose up/down on a web + backend + db + migration project', () => {
  it('brings it up in order, reachable from the host; up again changes nothing; a changed service is recreated', async () => {
    const port = await freePort();
    const p = await project(APP(port), APP_FILES);
    const r = await compose(p, ['up', '-d', '--wait', '--wait-timeout', '60']);
    expect(r.exitCode, r.stderr).toBe(0);
    // the migration ran before db, db was healthy before backend started
    const order = r.stderr.split('\n').filter(l => /Container .* (Started|Exited|Healthy)$/.test(l)).map(l => l.replace(/.*Container (\S+)\s+/, '$1 '));
    expect(order.indexOf(`${p.name}-migrate-1 Exited`)).toBeLessThan(order.indexOf(`${p.name}-db-1 Started`));
    expect(order.indexOf(`${p.name}-db-1 Healthy`)).toBeLessThan(order.indexOf(`${p.name}-backend-1 Started`));
    expect(await hostGet(port, '/cgi-bin/proxy', /db says/)).toBe('hello from backend; db says:\nmigrated');

    const rows = await ps(p);
    expect(rows.map(x => x.Service).sort()).toEqual(['backend', 'db', 'migrate', 'web']);
    expect(rows.find(x => x.Service === 'db')).toMatchObject({ State: 'running', Health: 'healthy' });
    expect(rows.find(x => x.Service === 'migrate')).toMatchObject({ State: 'exited', ExitCode: 0 });
    // the compose labels are on the container, as docker compose puts them
    const labels = JSON.parse((await rk(['inspect', '-f', '{{json .Config.Labels}}', `${p.name}-web-1`])).stdout) as Record<string, string>;
    expect(labels).toMatchObject({ 'com.docker.compose.project': p.name, 'com.docker.compose.service': 'web', 'com.docker.compose.container-number': '1', 'com.docker.compose.oneoff': 'False' });
    expect(labels['com.docker.compose.config-hash']).toMatch(/^[0-9a-f]{64}$/);
    expect((await rk(['network', 'ls'])).stdout).toContain(`${p.name}_back`);

    // unchanged: the running containers are the same ones
    const running = (await ps(p)).filter(x => x.State === 'running');
    const again = await compose(p, ['up', '-d']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/Recreated/);
    const after = (await ps(p)).filter(x => x.State === 'running');
    expect(after.map(x => x.ID).sort()).toEqual(running.map(x => x.ID).sort());

    // backend's environment changes: only backend is recreated
    const changed = await compose(p, ['up', '-d', '--wait'], { env: { ...env, GREETING: 'howdy' } });
    expect(changed.exitCode, changed.stderr).toBe(0);
    expect(changed.stderr).toMatch(new RegExp(`Container ${p.name}-backend-1\\s+Recreated`));
    const now = await ps(p);
    expect(now.find(x => x.Service === 'backend')!.ID).not.toBe(running.find(x => x.Service === 'backend')!.ID);
    expect(now.find(x => x.Service === 'web')!.ID).toBe(running.find(x => x.Service === 'web')!.ID);
    expect(await hostGet(port, '/cgi-bin/proxy', /howdy/)).toMatch(/^howdy from backend/);

    const forced = await compose(p, ['up', '-d', '--force-recreate', 'web'], { env: { ...env, GREETING: 'howdy' } });
    expect(forced.stderr).toMatch(new RegExp(`Container ${p.name}-web-1\\s+Recreated`));
    expect((await compose(p, ['down', '-v'])).exitCode).toBe(0);
  }, 240_000);

  it('exec, run, logs, top, port, stop/start; down keeps the volume, up sees the data; down -v leaves nothing', async () => {
    const port = await freePort();
    const p = await project(APP(port), APP_FILES);
    expect((await compose(p, ['up', '-d', '--wait'])).exitCode).toBe(0);

    const ex = await compose(p, ['exec', '-T', 'backend', 'sh', '-c', 'echo $GREETING; exit 3']);
    expect(ex.stdout).toBe('hello');
    expect(ex.exitCode).toBe(3);
    expect((await compose(p, ['exec', '-T', 'nosuch', 'true'])).exitCode).toBe(125);

    const one = await compose(p, ['run', '--rm', 'migrate', 'cat', '/data/index.html']);
    expect(one.stdout, one.stderr).toBe('migrated');
    expect(one.exitCode).toBe(0);
    expect((await compose(p, ['run', '--rm', 'migrate', 'sh', '-c', 'exit 7'])).exitCode).toBe(7);
    expect((await rk(['ps', '-a', '--format', '{{.Names}}'])).stdout).not.toMatch(/-run-/);

    const logs = await compose(p, ['logs', 'migrate']);
    expect(logs.stdout).toBe('migrate-1  | migration done');
    const top = await compose(p, ['top', 'db']);
    expect(top.stdout).toMatch(/PID\s+CMD/);
    expect(top.stdout).toMatch(/busybox httpd -f -p 80 -h \/data/);
    expect((await compose(p, ['port', 'web', '80'])).stdout).toBe(`127.0.0.1:${port}`);

    expect((await compose(p, ['stop', 'web'])).exitCode).toBe(0);
    expect((await ps(p)).find(x => x.Service === 'web')!.State).toBe('exited');
    expect((await compose(p, ['start', 'web'])).exitCode).toBe(0);
    expect(await hostGet(port, '/cgi-bin/proxy', /db says/)).toMatch(/migrated$/);

    const before = await ids(p);
    const d = await compose(p, ['down']);
    expect(d.exitCode, d.stderr).toBe(0);
    expect(await ids(p)).toEqual([]);
    expect(await hostLeftovers(before)).toEqual([]);
    expect((await rk(['network', 'ls'])).stdout).not.toContain(p.name);
    expect((await rk(['volume', 'ls', '-q'])).stdout).toContain(`${p.name}_dbdata`);

    // the volume kept the first migration's line: the second one adds to it
    expect((await compose(p, ['up', '-d', '--wait'])).exitCode).toBe(0);
    expect(await hostGet(port, '/cgi-bin/proxy', /db says/)).toBe('hello from backend; db says:\nmigrated\nmigrated');
    const v = await compose(p, ['down', '-v']);
    expect(v.exitCode, v.stderr).toBe(0);
    expect(v.stderr).toMatch(new RegExp(`Volume ${p.name}_dbdata\\s+Removed`));
    expect((await rk(['volume', 'ls', '-q'])).stdout).not.toContain(p.name);
  }, 240_000);

  it('--wait fails with one line when a dependency never gets healthy; external resources must exist', async () => {
    const p = await project(`
services:
  db:
    image: ${BUSYBOX}
    command: ["sleep", "600"]
    stop_grace_period: 1s
    healthcheck: {test: ["CMD", "false"], interval: 500ms, retries: 2}
  app:
    image: ${BUSYBOX}
    command: ["sleep", "600"]
    depends_on: {db: {condition: service_healthy}}
`);
    const r = await compose(p, ['up', '-d', '--wait']);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toMatch(new RegExp(`container ${p.name}-db-1 is unhealthy`));
    expect((await ps(p)).map(x => x.Service)).toEqual(['db']);
    expect((await compose(p, ['down', '-t', '1'])).exitCode).toBe(0);

    const ext = await project(`
services:
  a: {image: ${BUSYBOX}, command: [sleep, "1"], volumes: ["gone:/x"]}
volumes:
  gone: {external: true, name: ${uniqueName('nosuchvol')}}
`);
    const e = await compose(ext, ['up', '-d']);
    expect(e.exitCode).toBe(125);
    expect(e.stderr).toMatch(/external volume "nosuchvol-[0-9a-f]+" not found/);
    expect(await ids(ext)).toEqual([]);
  }, 120_000);

  it('Ctrl-C during an attached up stops everything; down then leaves no container, namespace, link, rule or mount', async () => {
    const port = await freePort();
    const p = await project(`
services:
  ticker:
    image: ${BUSYBOX}
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do echo tick; sleep 0.2; done"]
  web:
    image: ${BUSYBOX}
    command: ["busybox", "httpd", "-f", "-p", "80", "-h", "/"]
    ports: ["127.0.0.1:${port}:80"]
    depends_on: [ticker]
`);
    const child = execa(RACKER, ['--root', t.root, 'compose', '-p', p.name, '--project-directory', p.dir, '-f', path.join(p.dir, 'compose.yaml'), 'up'], { reject: false, env, stdin: 'ignore', timeout: 120_000 });
    let out = '';
    let err = '';
    child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
    for (let i = 0; i < 300 && !/ticker-1 +\| tick/.test(out); i++) await new Promise(r => setTimeout(r, 100));
    expect(out, err).toMatch(/ticker-1 +\| tick/);
    const made = await ids(p);
    expect(made.length).toBe(2);
    child.kill('SIGINT');
    const done = await child;
    expect(done.exitCode).toBe(130);
    expect((await ps(p)).map(x => x.State)).toEqual(['exited', 'exited']);
    const d = await compose(p, ['down']);
    expect(d.exitCode, d.stderr).toBe(0);
    expect(await ids(p)).toEqual([]);
    expect(await hostLeftovers(made)).toEqual([]);
    expect((await readFile('/proc/self/mounts', 'utf8')).split('\n').filter(l => l.includes(t.root))).toEqual([]);
    expect((await rk(['network', 'ls'])).stdout).not.toContain(p.name);
  }, 180_000);
});

describe('an OS container in compose', () => {
  beforeAll(async () => {
    const r = await execa(POSTROJ, ['--root', t.root, 'pull', 'debian-bookworm', '--source', 'mirror', '--mirror', DEBIAN_MIRROR], { reject: false, env, stdin: 'ignore', timeout: 20 * 60_000 });
    expect(r.stdout + r.stderr).toContain('debian-bookworm: ready');
  }, 20 * 60_000);

  it('a booted service is healthy once systemd is running; exec goes through systemd; down leaves nothing', async () => {
    const p = await project(`
services:
  os:
    image: debian-bookworm
    stop_grace_period: 20s
  client:
    image: ${BUSYBOX}
    command: ["sh", "-c", "echo up; sleep 600"]
    stop_grace_period: 1s
    depends_on: {os: {condition: service_healthy}}
`);
    const r = await compose(p, ['up', '-d', '--wait', '--wait-timeout', '120']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`Container ${p.name}-os-1\\s+Healthy`));
    const state = await compose(p, ['exec', '-T', 'os', 'systemctl', 'is-system-running']);
    expect(state.stdout).toMatch(/^(running|degraded)$/);
    expect((await ps(p)).find(x => x.Service === 'os')).toMatchObject({ State: 'running', Health: 'healthy' });
    const before = await ids(p);
    expect((await compose(p, ['down'])).exitCode).toBe(0);
    expect(await ids(p)).toEqual([]);
    expect(await hostLeftovers(before)).toEqual([]);
  }, 300_000);
});
