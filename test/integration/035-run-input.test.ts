import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { POSTROJ, RACKER, racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { writeOciLayout } from '../helpers/oci-layout.js';
import { busyboxLayer } from '../helpers/fixture-images.js';
import { ENV_FILE_MAX_BYTES } from '../../src/runtime/env.js';

/**
 * Input meant for a container (env files, env names, working directories):
 * racker's own Node process never reads it, and what nspawn would refuse is
 * refused by racker first with 125, never passed off as the command's exit 1.
 */
let t: Awaited<ReturnType<typeof tempRoot>>;
let img: string;
let files: string;
let marker: string;
let hook: string;

beforeAll(async () => {
  t = await tempRoot('run-input');
  files = path.join(t.root, 'files');
  await mkdir(files);
  const dir = path.join(t.root, 'layouts', 'plain');
  await writeOciLayout(dir, { layers: [busyboxLayer()], config: { Cmd: ['sh'] }, tag: 'latest' });
  img = `oci:${dir}:latest`;
  // a script that, if Node ever loaded it on the host, leaves a marker file
  marker = path.join(files, 'host-code-ran');
  hook = path.join(files, 'hook.cjs');
  await writeFile(hook, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n`);
});
afterAll(async () => { await t.remove(); });

async function imageWithConfig(name: string, config: Record<string, unknown>): Promise<string> {
  const dir = path.join(t.root, 'layouts', name);
  await writeOciLayout(dir, { layers: [busyboxLayer()], config: { Cmd: ['sh'], ...config }, tag: 'latest' });
  return `oci:${dir}:latest`;
}

async function markerAbsent(): Promise<void> {
  await expect(stat(marker)).rejects.toThrow(/ENOENT/);
}

describe('--env-file is read by racker only, never by Node', () => {
  let evil: string;
  beforeAll(async () => {
    evil = path.join(files, 'evil.env');
    await writeFile(evil, `NODE_OPTIONS=--require ${hook}\nFOO=bar\n`);
  });

  it('racker run: the file reaches the container, not racker\'s own process', async () => {
    const r = await racker(t.root, ['run', '--rm', '--env-file', evil, img, 'sh', '-c', 'echo "$FOO|$NODE_OPTIONS"']);
    await markerAbsent();
    expect(r.stdout).toBe(`bar|--require ${hook}`);
    expect(r.exitCode).toBe(0);
  });

  it('in --env-file=FILE form, in a detached run and its supervisor, and in postroj', async () => {
    const name = uniqueName('envfile-d');
    try {
      const d = await racker(t.root, ['run', '-d', '--rm', `--env-file=${evil}`, '--name', name, img, 'sh', '-c', 'echo "$FOO"']);
      expect(d.exitCode, d.stderr).toBe(0);
      const p = await execa(POSTROJ, ['--root', t.root, 'list-images', '--env-file', evil], { reject: false, stdin: 'ignore' });
      expect(p.exitCode).not.toBe(0); // postroj has no such option; Node must not have read it either
      await markerAbsent();
    } finally {
      await racker(t.root, ['rm', '-f', name]);
    }
  });

  it('a pipe is read once: --env-file <(printf …)', async () => {
    // bash's process substitution gives racker /dev/fd/N, a pipe
    const r = await execa('bash', ['-c', `"$0" --root "$1" run --rm --env-file <(printf 'FOO=from-pipe\\n') "$2" sh -c 'echo "$FOO"'`, RACKER, t.root, img], { reject: false, stdin: 'ignore' });
    expect(r.stdout).toBe('from-pipe');
    expect(r.exitCode).toBe(0);
  });

  it('a device, a directory or an oversized file is refused with 125 before it is read', async () => {
    const dev = await racker(t.root, ['run', '--rm', '--env-file', '/dev/zero', img, 'true'], { timeout: 20_000 });
    expect(dev.exitCode).toBe(125);
    expect(dev.stderr).toMatch(/env file \/dev\/zero: not a regular file or a pipe/);
    expect(dev.stderr.split('\n').length).toBeLessThan(4);

    const dir = await racker(t.root, ['run', '--rm', '--env-file', files, img, 'true']);
    expect(dir.exitCode).toBe(125);
    expect(dir.stderr).toMatch(/is a directory/);

    const big = path.join(files, 'big.env');
    await writeFile(big, 'A=' + 'x'.repeat(ENV_FILE_MAX_BYTES) + '\n');
    const large = await racker(t.root, ['run', '--rm', '--env-file', big, img, 'true']);
    expect(large.exitCode).toBe(125);
    expect(large.stderr).toMatch(/larger than 1048576 bytes/);

    // an endless pipe stops at the cap too
    const endless = await execa('bash', ['-c', `"$0" --root "$1" run --rm --env-file <(yes A=1) "$2" true`, RACKER, t.root, img], { reject: false, stdin: 'ignore', timeout: 30_000 });
    expect(endless.exitCode).toBe(125);
    expect(endless.stderr).toMatch(/larger than/);
  });
});

describe('what systemd-nspawn would refuse is refused with 125', () => {
  it('an environment variable name nspawn cannot pass (-e and --env-file)', async () => {
    for (const bad of ['SP ACE=x', 'A.B=x', '1X=y', 'É=x']) {
      const r = await racker(t.root, ['run', '--rm', '-e', bad, img, 'true']);
      expect(r.exitCode, bad).toBe(125);
      expect(r.stderr).toMatch(/variable name/);
      expect(r.stderr).not.toMatch(/Cannot assign environment variable/);
    }
    const file = path.join(files, 'dotted.env');
    await writeFile(file, 'GOOD=1\nA.B=2\n');
    const f = await racker(t.root, ['run', '--rm', '--env-file', file, img, 'true']);
    expect(f.exitCode).toBe(125);
    expect(f.stderr).toMatch(/"A\.B"/);
  });

  it('an image whose Env has such a name runs with a warning, the rest of its Env intact', async () => {
    const odd = await imageWithConfig('odd-env', { Env: ['SP ACE=x', 'OK=1', 'PATH=/bin:/usr/bin'] });
    const r = await racker(t.root, ['run', '--rm', odd, 'sh', '-c', 'echo "$OK"']);
    expect(r.stdout).toBe('1');
    expect(r.stderr).toMatch(/warning: .*"SP ACE"/);
    expect(r.exitCode).toBe(0);
  });

  it('a host name nspawn would refuse, a 200 KB variable, a 300-byte directory name', async () => {
    const h = await racker(t.root, ['run', '--rm', '--hostname', 'a..b', img, 'true']);
    expect(h.exitCode).toBe(125);
    expect(h.stderr).toMatch(/invalid hostname 'a\.\.b'/);
    const big = path.join(files, 'huge-var.env');
    await writeFile(big, `A=${'x'.repeat(200_000)}\n`);
    const v = await racker(t.root, ['run', '--rm', '--env-file', big, img, 'true']);
    expect(v.exitCode).toBe(125);
    expect(v.stderr).toMatch(/variable A is too long/);
    expect(v.stderr).not.toMatch(/E2BIG/);
    const w = await racker(t.root, ['run', '--rm', '-w', '/' + 'd'.repeat(300), img, 'true']);
    expect(w.exitCode).toBe(125);
    expect(w.stderr).toMatch(/name longer than 255 bytes/);
  });

  it('-w must be absolute, as docker demands; "/a/../b" is /b', async () => {
    for (const w of ['rel', '../x', './']) {
      const r = await racker(t.root, ['run', '--rm', '-w', w, img, 'pwd']);
      expect(r.exitCode, w).toBe(125);
      expect(r.stderr).toMatch(/needs to be an absolute path/);
    }
    const ok = await racker(t.root, ['run', '--rm', '-w', '/a/../b', img, 'pwd']);
    expect(ok.stdout).toBe('/b');
    expect(ok.exitCode).toBe(0);
  });

  it('an image with a relative WorkingDir: 125 naming it; -w overrides it', async () => {
    const rel = await imageWithConfig('rel-workdir', { WorkingDir: 'srv/app' });
    const r = await racker(t.root, ['run', '--rm', rel, 'pwd']);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toMatch(/WorkingDir "srv\/app" is not an absolute path/);
    const ok = await racker(t.root, ['run', '--rm', '-w', '/srv', rel, 'pwd']);
    expect(ok.stdout).toBe('/srv');
    // nothing was left mounted or kept for the refused runs
    expect(await readdir(path.join(t.root, 'containers')).catch(() => [])).toEqual([]);
  });
});
