import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdir, symlink, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { REPO, racker, tempRoot } from '../helpers/cli.js';

/**
 * The engine checks a container's description once, for every client: what
 * the CLI refuses from its flags, the API refuses from its objects, with the
 * same words (docs/api.md), and a NUL byte is a refusal, not a TypeError.
 */
let t: Awaited<ReturnType<typeof tempRoot>>;
let app: string;
const BUSYBOX = `${inject('registry')}/fixtures/busybox:latest`;

beforeAll(async () => {
  t = await tempRoot('api-input');
  app = path.join(t.root, 'app');
  await mkdir(path.join(app, 'node_modules'), { recursive: true });
  await symlink(REPO, path.join(app, 'node_modules', 'racker'));
  await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'api-input', type: 'module', private: true }));
  expect((await racker(path.join(t.root, 'store'), ['pull', '-q', '--tls-verify=false', BUSYBOX])).exitCode).toBe(0);
});
afterAll(async () => {
  for (const c of (await racker(path.join(t.root, 'store'), ['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean)) await racker(path.join(t.root, 'store'), ['rm', '-f', c]);
  await rm(t.root, { recursive: true, force: true });
});

/** each input run through the API: the RackerError's exit code and message, or what else happened */
async function throughApi(inputs: object[]): Promise<{ exitCode?: number; message: string }[]> {
  await writeFile(path.join(app, 'input.mjs'), `
    import { Engine, RackerError } from 'racker';
    const engine = new Engine({ root: process.argv[2] });
    const out = [];
    for (const input of JSON.parse(process.argv[3])) {
      try { await engine.containers.run(input, { output: { fd: 2 } }); out.push({ message: 'ran' }); }
      catch (e) { out.push(e instanceof RackerError ? { exitCode: e.exitCode, message: e.message } : { message: 'not a RackerError: ' + e }); }
    }
    console.log(JSON.stringify(out));
  `);
  const r = await execa(process.execPath, ['input.mjs', path.join(t.root, 'store'), JSON.stringify(inputs)], { cwd: app, reject: false, timeout: 120_000 });
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { exitCode?: number; message: string }[];
}

/** the CLI's one line for the same thing, without "racker: " */
async function throughCli(args: string[]): Promise<string> {
  const r = await racker(path.join(t.root, 'store'), ['run', '--rm', ...args, BUSYBOX, 'true']);
  expect(r.exitCode, r.stderr).toBe(125);
  return r.stderr.split('\n')[0].replace(/^racker: /, '');
}

describe('the API is held to the CLI\'s checks', () => {
  it('a relative bind source and an unknown tmpfs option: 125 and the CLI\'s words', async () => {
    const [bind, tmpfs] = await throughApi([
      { image: BUSYBOX, command: ['true'], volumes: [{ source: 'relative/dir', target: '/data', readOnly: false }] },
      { image: BUSYBOX, command: ['true'], mounts: [{ kind: 'tmpfs', target: '/scratch', readOnly: false, flags: ['remount'] }] },
    ]);
    expect(bind).toEqual({ exitCode: 125, message: await throughCli(['--mount', 'type=bind,source=relative/dir,target=/data']) });
    expect(bind.message).toBe("bind source 'relative/dir' is not an absolute path");
    expect(tmpfs).toEqual({ exitCode: 125, message: await throughCli(['--tmpfs', '/scratch:remount']) });
    expect(tmpfs.message).toBe("invalid tmpfs option 'remount'");
  });

  it('a NUL byte in any string field: 125 and one line naming the field', async () => {
    const results = await throughApi([
      { image: BUSYBOX, command: ['echo', 'a\0b'] },
      { image: BUSYBOX, command: ['true'], user: 'root\0' },
      { image: BUSYBOX, command: ['true'], entrypoint: '/bin/sh\0' },
      { image: BUSYBOX, command: ['true'], mounts: [{ kind: 'tmpfs', target: '/t', readOnly: false, flags: ['noexec\0'] }] },
    ]);
    expect(results).toEqual([
      { exitCode: 125, message: 'command[1] contains a NUL byte' },
      { exitCode: 125, message: 'user contains a NUL byte' },
      { exitCode: 125, message: 'entrypoint contains a NUL byte' },
      { exitCode: 125, message: 'mounts[0].flags[0] contains a NUL byte' },
    ]);
  });
});
