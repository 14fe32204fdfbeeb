import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdir, symlink, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { REPO, racker, tempRoot } from '../helpers/cli.js';

/**
 * The TypeScript API as a user's program meets it: a project of its own with
 * racker in node_modules, `import { Engine } from 'racker'`, real containers,
 * and the package's type declarations checked by tsc.
 */
let t: Awaited<ReturnType<typeof tempRoot>>;
let app: string;
const BUSYBOX = `${inject('registry')}/fixtures/busybox:latest`;

beforeAll(async () => {
  t = await tempRoot('api');
  app = path.join(t.root, 'app');
  await mkdir(path.join(app, 'node_modules'), { recursive: true });
  await symlink(REPO, path.join(app, 'node_modules', 'racker'));
  await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'api-user', type: 'module', private: true }));
});
afterAll(async () => {
  for (const c of (await racker(t.root, ['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean)) await racker(t.root, ['rm', '-f', c]);
  await rm(t.root, { recursive: true, force: true });
});

describe('import { Engine } from "racker"', () => {
  it('pulls, runs attached and detached, execs, streams logs, inspects, stops and removes — printing nothing itself', async () => {
    await writeFile(path.join(app, 'example.mjs'), await (await import('node:fs/promises')).readFile(path.join(REPO, 'docs/examples/api-example.mjs'), 'utf8'));
    const r = await execa(process.execPath, ['example.mjs', BUSYBOX, path.join(t.root, 'store')], { cwd: app, reject: false, timeout: 120_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    // the engine reports through events: a program that prints nothing leaves stderr empty
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as Record<string, any>;
    expect(out.imageId).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(out.images).toBe(1);
    expect(out.progressEvents).toBeGreaterThan(0);
    expect(out.attached).toEqual({ exitCode: 3, output: 'hello from api\n' });
    expect(out.detached.id).toMatch(/^[a-f0-9]{64}$/);
    expect(out.detached.execCode).toBe(4);
    expect(out.detached.execOutput).toBe('in exec\n');
    expect(out.detached.logLines).toEqual(['started']);
    expect(out.detached.running).toBe(true);
    expect(out.detached.stoppedStatus).toBe('exited');
    expect(out.containersLeft).toBe(0);
    expect(out.warnings).toEqual([]);
  });

  it('bad input is a RackerError with docker\'s exit code, not a crash', async () => {
    await writeFile(path.join(app, 'bad.mjs'), `
      import { Engine, RackerError } from 'racker';
      const engine = new Engine({ root: process.argv[2] });
      const results = [];
      for (const input of [{ image: process.argv[3], command: ['true'], workdir: 'rel' }, { image: process.argv[3], command: ['true'], name: 'a b' }, { image: process.argv[3], command: ['true'], env: [['SP ACE', 'x']] }]) {
        try { await engine.containers.run(input, { output: { fd: 1 } }); results.push('ran'); }
        catch (e) { results.push(e instanceof RackerError ? e.exitCode : 'not a RackerError: ' + e); }
      }
      console.log(JSON.stringify(results));
    `);
    const r = await execa(process.execPath, ['bad.mjs', path.join(t.root, 'store'), BUSYBOX], { cwd: app, reject: false, timeout: 60_000 });
    expect(r.stdout, r.stderr).toBe('[125,125,125]');
  });

  it('ships type declarations a TypeScript user compiles against', async () => {
    await writeFile(path.join(app, 'typed.ts'), `
      import { Engine, type ContainerSpecInput, type ProbeReport, pkgprobe, selftest, CATALOGUE } from 'racker';
      const engine: Engine = new Engine({ root: '/tmp/x' });
      const input: ContainerSpecInput = { image: 'busybox', command: ['true'], volumes: [{ source: '/srv', target: '/srv', readOnly: true }] };
      export async function f(): Promise<number | undefined> {
        const report: ProbeReport = await pkgprobe(engine, { images: [CATALOGUE[0].label], units: ['cron'] });
        const results = await selftest(engine, { probe: 'hostnamectl' });
        return (await engine.containers.run(input)).exitCode ?? report.summary.passed + results.length;
      }
      // @ts-expect-error a container spec has no such field
      const wrong: ContainerSpecInput = { image: 'x', nosuchfield: 1 };
    `);
    await writeFile(path.join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [path.join(REPO, 'node_modules/@types')] }, files: ['typed.ts'] }));
    const r = await execa(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: app, reject: false, timeout: 120_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });
});
