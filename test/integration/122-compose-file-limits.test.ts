import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { racker, tempRoot } from '../helpers/cli.js';

/**
 * Every file compose reads (the compose files, extends: file:, .env,
 * --env-file, env_file:) follows the --env-file rule: a regular file or a
 * pipe of bounded size, else exit 125 with one line naming the file. And
 * nesting in ${…} is bounded.
 */
let t: Awaited<ReturnType<typeof tempRoot>>;
let dir: string;
const MiB = 1024 * 1024;

const compose = (args: string[]) => racker(t.root, ['compose', ...args], { cwd: dir, env: {}, extendEnv: false });

async function project(name: string, yaml: string): Promise<string> {
  const p = path.join(dir, name);
  await mkdir(p);
  await writeFile(path.join(p, 'compose.yaml'), yaml);
  return path.join(p, 'compose.yaml');
}

/** exit 125, nothing on stdout, one line naming `file` (and perhaps a hint line) */
function refused(r: { exitCode: number; stdout: string; stderr: string }, file: string, why: RegExp): void {
  expect(r.exitCode, r.stderr).toBe(125);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines.length, r.stderr).toBeLessThanOrEqual(2);
  expect(lines[0]).toContain(file);
  expect(lines[0]).toMatch(why);
  if (lines[1]) expect(lines[1]).toMatch(/^hint: /);
}

const withEnvFile = (f: string) => `services:\n  app:\n    image: busybox\n    env_file: ${JSON.stringify(f)}\n`;

beforeAll(async () => {
  t = await tempRoot('compose-limits');
  dir = await mkdtemp(path.join(tmpdir(), 'racker-test-compose-limits-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await t.remove();
});

describe('files compose reads are bounded', () => {
  it('env_file: /dev/zero, a directory, a file over 1 MiB: refused', async () => {
    const big = path.join(dir, 'big.env');
    await writeFile(big, `A=${'x'.repeat(MiB + 10)}\n`);
    for (const [f, why] of [['/dev/zero', /not a regular file or a pipe/], [dir, /it is a directory/], [big, /larger than 1048576 bytes/]] as const) {
      const file = await project(`env-${path.basename(f)}`, withEnvFile(f));
      refused(await compose(['-f', file, 'config']), f, why);
    }
  });

  it('env_file: a pipe that never ends is read up to the limit, then refused', async () => {
    const fifo = path.join(dir, 'endless.fifo');
    await execa('mkfifo', [fifo]);
    // yes(1) writes "y" lines for ever; it ends on SIGPIPE once racker closes the pipe
    const writer = execa('sh', ['-c', 'exec yes > "$1"', 'sh', fifo], { reject: false, stdin: 'ignore' });
    try {
      const file = await project('env-fifo', withEnvFile(fifo));
      refused(await compose(['-f', file, 'config']), fifo, /larger than 1048576 bytes/);
    } finally {
      writer.kill('SIGKILL');
      await writer;
    }
  });

  it('extends: {file: /dev/zero} and a 50 MiB compose file: refused', async () => {
    const ext = await project('ext-zero', 'services:\n  app:\n    extends: {file: /dev/zero, service: base}\n');
    refused(await compose(['-f', ext, 'config']), '/dev/zero', /not a regular file or a pipe/);
    const huge = path.join(dir, 'huge.yaml');
    const fh = await open(huge, 'w');
    try {
      await fh.write('services:\n  app:\n    image: busybox\n');
      const pad = `# ${'p'.repeat(1000)}\n`.repeat(1024);
      for (let i = 0; i < 50; i++) await fh.write(pad);
    } finally {
      await fh.close();
    }
    refused(await compose(['-f', huge, 'config']), huge, /larger than 4194304 bytes/);
  });

  it('small files still work: env_file, extends from another file, .env', async () => {
    const p = path.join(dir, 'fine');
    await mkdir(p);
    await writeFile(path.join(p, 'app.env'), 'GREETING=hello\n');
    await writeFile(path.join(p, '.env'), 'TAG=1.36\n');
    await writeFile(path.join(p, 'base.yaml'), 'services:\n  base:\n    image: "busybox:${TAG}"\n');
    await writeFile(path.join(p, 'compose.yaml'), 'services:\n  app:\n    extends: {file: base.yaml, service: base}\n    env_file: app.env\n');
    const r = await compose(['-f', path.join(p, 'compose.yaml'), 'config']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('image: busybox:1.36');
    expect(r.stdout).toContain('GREETING: hello');
  });
});

describe('interpolation nesting is bounded', () => {
  it('30,000 nested defaults: 125, one line naming the file and the key, no stack overflow', async () => {
    const deep = '${A:-'.repeat(30_000) + 'x' + '}'.repeat(30_000);
    const file = await project('deep', `services:\n  app:\n    image: busybox\n    environment:\n      DEEP: "${deep}"\n`);
    const r = await compose(['-f', file, 'config']);
    refused(r, file, /services\.app\.environment\.DEEP: .*nested more than 100 deep/);
    expect(r.stderr).not.toMatch(/call stack/);
  });

  it('ordinary nesting works', async () => {
    const file = await project('nested', 'services:\n  app:\n    image: "busybox:${A:-${B:-${C:-1.36}}}"\n');
    const r = await compose(['-f', file, 'config']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('image: busybox:1.36');
  });
});
