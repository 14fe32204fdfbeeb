import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { racker, tempRoot } from '../helpers/cli.js';

/** `racker compose config` as a black box, on a project folder shaped like a real one. */

let t: Awaited<ReturnType<typeof tempRoot>>;
let base: string;
let dir: string;

const COMPOSE = `
x-env: &env
  TZ: UTC
services:
  web:
    image: "nginx:\${NGINX_TAG:-1.25}"
    ports: ["127.0.0.1:\${WEB_PORT}:80"]
    volumes: ["./site:/usr/share/nginx/html:ro"]
    depends_on:
      api: {condition: service_healthy}
    environment:
      <<: *env
  api:
    image: registry.example/api:1
    environment: [DB_HOST=db, "DB_PASSWORD=\${DB_PASSWORD:?the database needs a password}"]
    healthcheck: {test: "wget -q -O- localhost:8000/health", interval: 5s, retries: 10}
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
    cap_add: [NET_ADMIN]
    group_add: [audio]
  migrate:
    image: registry.example/api:1
    command: ./manage migrate
    depends_on: [db]
  db:
    image: postgres:16
    volumes: [dbdata:/var/lib/postgresql/data]
  debug:
    image: busybox
    profiles: [debug]
  os:
    image: debian-bookworm
    x-racker: {boot: true}
volumes:
  dbdata:
`;

beforeAll(async () => {
  t = await tempRoot('compose-config');
  base = await mkdtemp(path.join(tmpdir(), 'racker-test-compose-config-'));
  dir = path.join(base, 'My Shop');
  await mkdir(dir);
  await writeFile(path.join(dir, 'compose.yaml'), COMPOSE);
  await writeFile(path.join(dir, 'compose.override.yaml'), 'services:\n  web:\n    environment: {DEBUG: "1"}\n');
  await writeFile(path.join(dir, '.env'), 'WEB_PORT=8080\nDB_PASSWORD=secret\n');
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
  await t.remove();
});

const compose = (args: string[], env: Record<string, string> = {}) => racker(t.root, ['compose', ...args], { cwd: dir, env: { ...env }, extendEnv: false });

describe('racker compose config', () => {
  it('prints the normalised project: merged files, .env, interpolation, warnings on stderr', async () => {
    const r = await compose(['config']);
    expect(r.exitCode).toBe(0);
    // a key racker run has a flag for is applied; one it has none for is one warning line
    expect(r.stderr).toMatch(/warning: service "api": group_add is not supported by racker and is ignored \(racker run has no --group-add\)/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const p = parse(r.stdout) as { name: string; services: Record<string, Record<string, unknown>>; networks: unknown; volumes: unknown };
    expect(p.name).toBe('myshop');
    expect(Object.keys(p.services)).toEqual(['api', 'db', 'migrate', 'os', 'web']);
    expect(p.services.web).toMatchObject({
      image: 'nginx:1.25',
      environment: { TZ: 'UTC', DEBUG: '1' },
      ports: [{ target: 80, published: '8080', host_ip: '127.0.0.1', protocol: 'tcp' }],
      volumes: [{ type: 'bind', source: path.join(dir, 'site'), target: '/usr/share/nginx/html', read_only: true, bind: { create_host_path: true } }],
      depends_on: { api: { condition: 'service_healthy', required: true, restart: false } },
    });
    expect(p.services.api.environment).toEqual({ DB_HOST: 'db', DB_PASSWORD: 'secret' });
    expect(p.services.api.healthcheck).toEqual({ test: ['CMD-SHELL', 'wget -q -O- localhost:8000/health'], interval: '5s', retries: 10 });
    expect(p.services.api.cap_add).toEqual(['NET_ADMIN']);
    expect(p.services.migrate.command).toEqual(['./manage', 'migrate']);
    expect(p.services.os['x-racker']).toEqual({ boot: true });
    expect(p.networks).toEqual({ default: { name: 'myshop_default' } });
    expect(p.volumes).toEqual({ dbdata: { name: 'myshop_dbdata' } });
  });

  it('the shell environment wins over .env; -p names the project; --profile enables a service', async () => {
    const r = await compose(['-p', 'shop2', '--profile', 'debug', 'config', '--format', 'json'], { NGINX_TAG: '1.27', WEB_PORT: '9999' });
    expect(r.exitCode).toBe(0);
    const p = JSON.parse(r.stdout) as { name: string; services: Record<string, { image: string; ports?: { published: string }[] }> };
    expect(p.name).toBe('shop2');
    expect(p.services.web.image).toBe('nginx:1.27');
    expect(p.services.web.ports?.[0].published).toBe('9999');
    expect(Object.keys(p.services)).toContain('debug');
  });

  it('--services, --volumes, --hash', async () => {
    // (execa drops the last newline)
    expect((await compose(['config', '--services'])).stdout).toBe('api\ndb\nmigrate\nos\nweb');
    expect((await compose(['config', '--volumes'])).stdout).toBe('dbdata');
    const h = await compose(['config', '--hash', 'web,db']);
    expect(h.exitCode).toBe(0);
    expect(h.stdout).toMatch(/^web [a-f0-9]{64}\ndb [a-f0-9]{64}$/);
    // the hash follows the resolved configuration, not the scale or the dependency list
    const again = await compose(['config', '--hash', 'web']);
    expect(again.stdout).toBe(h.stdout.split('\n')[0]);
    const changed = await compose(['config', '--hash', 'web'], { NGINX_TAG: '2' });
    expect(changed.stdout).not.toBe(again.stdout);
    const bad = await compose(['config', '--hash', 'nope']);
    expect(bad.exitCode).toBe(125);
    expect(bad.stderr).toMatch(/no such service: nope/);
  });

  it('a missing required variable: exit 125, one line naming the file and key, and a hint', async () => {
    await writeFile(path.join(dir, 'empty.env'), '');
    const r = await compose(['--env-file', 'empty.env', 'config']);
    expect(r.exitCode).toBe(125);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^racker: .*compose\.yaml: services\.api\.environment\[1\]: required variable DB_PASSWORD is missing a value: the database needs a password$/);
    expect(lines[1]).toMatch(/^hint: /);
  });

  it('no compose file: exit 125 saying where it looked', async () => {
    const r = await racker(t.root, ['compose', 'config'], { cwd: base, env: {}, extendEnv: false });
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toMatch(/no compose file found in .* or above/);
  });
});
