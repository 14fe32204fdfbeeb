import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { writeOciLayout } from '../helpers/oci-layout.js';
import { busyboxLayer } from '../helpers/fixture-images.js';
import { MIRROR_CACHE, DEBIAN_MIRROR } from '../helpers/debian.js';
import { POSTROJ } from '../helpers/cli.js';

/**
 * The container's environment (--env-file 0600, -e) never appears on a
 * command line of the host, where every local user can read it
 * (/proc/PID/cmdline), and still reaches the container byte for byte, with
 * docker's precedence (later wins; -e over --env-file).
 */
let t: Awaited<ReturnType<typeof tempRoot>>;
let shared: string;
let BUSYBOX: string;
const rk = (args: string[], opts = {}) => racker(t.root, args, opts);
const token = `tok${randomBytes(8).toString('hex')}`;
// spaces, '=', both quotes, '$', a backslash, a tab, a '#' and a '%'
const SECRET = `${token} a=b "dq" 'sq' $HOME \\back\t#x %h end `;
let envFile: string;

beforeAll(async () => {
  t = await tempRoot('run-secrets');
  shared = await mkdtemp(path.join(tmpdir(), 'racker-test-secrets-'));
  envFile = path.join(shared, 'secret.env');
  await writeFile(envFile, `SECRET=${SECRET}\nOVER=from-file\nDUP=first\nDUP=second\n`, { mode: 0o600 });
  await chmod(envFile, 0o600);
  const dir = path.join(t.root, 'layouts', 'busybox');
  await writeOciLayout(dir, { layers: [busyboxLayer()], config: { Cmd: ['sh'] }, tag: 'latest' });
  BUSYBOX = `oci:${dir}:latest`;
});
afterAll(async () => {
  for (const c of (await rk(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean)) await rk(['rm', '-f', c]);
  await t.remove();
  await rm(shared, { recursive: true, force: true });
});

/** Every process on the host whose command line has `needle`. */
async function cmdlinesWith(needle: string): Promise<string[]> {
  const out: string[] = [];
  for (const pid of (await readdir('/proc')).filter(p => /^\d+$/.test(p))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle)) out.push(`${pid}: ${cmdline.replace(/\0/g, ' ').slice(0, 300)}`);
  }
  return out;
}

async function waitForFile(file: string, ms = 120_000): Promise<void> {
  for (const deadline = Date.now() + ms; !existsSync(file);) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear`);
    await new Promise(r => setTimeout(r, 50));
  }
}

function environ(raw: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of raw.split('\0').filter(Boolean)) m.set(kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1));
  return m;
}

/**
 * What the command saw, and no command line on the host held the secret (it
 * is only in the env file; -e values are on racker's own command line, the user's choice) while it ran.
 */
async function seenWhileRunning(dir: string): Promise<Map<string, string>> {
  await waitForFile(path.join(dir, 'environ'));
  expect(await cmdlinesWith(token)).toEqual([]);
  await writeFile(path.join(dir, 'go'), '');
  return environ(await readFile(path.join(dir, 'environ'), 'utf8'));
}

/** Reports its environment through /s, then waits for the test to let it go. */
const REPORT = 'cat /proc/self/environ > /s/environ.tmp && mv /s/environ.tmp /s/environ; while [ ! -e /s/go ]; do sleep 0.1; done';

async function freshDir(): Promise<string> {
  return mkdtemp(path.join(shared, 'run-'));
}

function expectDockerEnv(env: Map<string, string>, nl?: string): void {
  expect(env.get('SECRET')).toBe(SECRET);
  expect(env.get('OVER')).toBe('from-flag');
  expect(env.get('DUP')).toBe('second');
  if (nl !== undefined) expect(env.get('NL')).toBe(nl);
}

describe('app containers', () => {
  for (const [label, extra] of [['', []], [' (a value with newlines)', ['-e', 'NL=one\n"two" $x\n']]] as const) {
    it(`the environment is on no host command line${label}, and reaches PID 1 exactly`, async () => {
      const dir = await freshDir();
      const name = uniqueName('secret');
      const r = await rk(['run', '-d', '--name', name, '--env-file', envFile, '-e', 'OVER=from-flag', ...extra, '-v', `${dir}:/s`, BUSYBOX, 'sh', '-c', REPORT]);
      expect(r.exitCode, r.stderr).toBe(0);
      const env = await seenWhileRunning(dir);
      expectDockerEnv(env, extra.length ? 'one\n"two" $x\n' : undefined);
      // racker's settings file: root's alone
      const id = (await rk(['inspect', '--format', '{{.Id}}', name])).stdout;
      const settings = await stat(path.join(t.root, 'containers', id, `${name}.nspawn`));
      expect(settings.mode & 0o077).toBe(0);
      await rk(['rm', '-f', name]);
    });
  }
});

describe('booted containers', () => {
  const postroj = (args: string[], opts = {}) => execa(POSTROJ, ['--root', t.root, ...args], {
    reject: false, stdin: 'ignore', env: { ...process.env, RACKER_MIRROR_CACHE: path.join(MIRROR_CACHE, 'mirror') }, ...opts,
  });
  beforeAll(async () => {
    const r = await postroj(['pull', 'debian-bookworm', '--source', 'mirror', '--mirror', DEBIAN_MIRROR], { timeout: 20 * 60_000 });
    expect(r.stdout + r.stderr).toContain('debian-bookworm: ready');
  }, 20 * 60_000);

  it('the run command\'s environment is on no host command line, and reaches it exactly', async () => {
    const dir = await freshDir();
    const nl = 'first\nsecond `$x` "q"';
    const run = rk(['run', '--rm', '--env-file', envFile, '-e', 'OVER=from-flag', '-e', `NL=${nl}`, '-v', `${dir}:/s`, 'debian-bookworm', 'sh', '-c', REPORT]);
    const env = await seenWhileRunning(dir);
    expectDockerEnv(env, nl);
    expect((await run).exitCode).toBe(0);
  });

  it('racker exec: the container\'s environment is on no host command line; exec -e wins over it', async () => {
    const dir = await freshDir();
    const name = uniqueName('bsecret');
    const r = await rk(['run', '-d', '--name', name, '--env-file', envFile, '-e', 'OVER=from-run', '-v', `${dir}:/s`, 'debian-bookworm']);
    expect(r.exitCode, r.stderr).toBe(0);
    const exec = rk(['exec', '-e', 'OVER=from-flag', name, 'sh', '-c', REPORT]);
    const env = await seenWhileRunning(dir);
    expectDockerEnv(env);
    expect((await exec).exitCode).toBe(0);
    // the exec's own file is gone with it
    const id = (await rk(['inspect', '--format', '{{.Id}}', name])).stdout;
    expect(await readdir(path.join(t.root, 'containers', id, 'unit-env'))).toEqual(['run.env']);
    await rk(['rm', '-f', name]);
  });
});
