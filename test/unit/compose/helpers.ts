import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { loadProject, type LoadOptions } from '../../../src/compose/load.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

/** A project folder with these files (paths relative to it), removed after the test. */
export function projectDir(files: Record<string, string>, folder = 'proj'): string {
  const root = mkdtempSync(path.join(tmpdir(), 'racker-compose-unit-'));
  dirs.push(root);
  const dir = path.join(root, folder);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** Load a project written as files, with an empty shell environment unless given. */
export function load(files: Record<string, string>, opts: LoadOptions = {}) {
  const cwd = projectDir(files);
  return { cwd, project: loadProject({ env: {}, ...opts, cwd }) };
}

/** The RackerError message (and hint) a load fails with. */
export function loadError(files: Record<string, string>, opts: LoadOptions = {}): string {
  try {
    load(files, opts);
  } catch (err) {
    const e = err as Error & { hint?: string };
    return `${e.message}${e.hint ? ` | hint: ${e.hint}` : ''}`;
  }
  throw new Error('the load did not fail');
}

/** A compose file using many keys serviceSpec and the renderers know. */
export const SHOP_FILE = [
  'name: shop',
  'services:',
  '  web:', '    image: nginx:1.25', '    command: nginx -g "daemon off;"', '    entrypoint: []', '    environment: {Z: "1", A: "2", UNSET: null}',
  '    working_dir: /srv', '    user: www', '    hostname: web1', '    labels: [tier=front]',
  '    volumes: ["./html:/html:ro", "data:/data", "/anon", {type: tmpfs, target: /tmp, tmpfs: {size: 1k}}]',
  '    ports: ["127.0.0.1:8080:80"]', '    expose: ["9000"]', '    networks: {front: {aliases: [www], ipv4_address: 10.5.0.9}, default: {}}',
  '    healthcheck: {test: [CMD, curl, -f, localhost], interval: 30s, timeout: 1500ms, retries: 3, start_period: 1m}',
  '    restart: unless-stopped', '    stop_signal: SIGQUIT', '    stop_grace_period: 1m30s', '    extra_hosts: {db: 10.0.0.2}',
  '    dns: [9.9.9.9]', '    tmpfs: [/run]', '    read_only: true', '    init: true', '    tty: true', '    stdin_open: true', '    pull_policy: always',
  '  os:', '    image: debian-bookworm', '    x-racker: {boot: true}', '    network_mode: host',
  'networks:', '  front: {name: shop-front}',
  'volumes:', '  data:',
].join('\n');
