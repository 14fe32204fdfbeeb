import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { RACKER, racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { until } from '../helpers/pidns.js';
import { nspawnAppears, nspawnOf } from '../helpers/early-signal.js';
import { ImageStore } from '../../src/store/image-store.js';
import { readProcFile } from '../../src/process.js';

/** Detached containers, managed without a daemon: ps, logs, exec, stop, kill, start, rm, inspect. */
const reg = inject('registry');
const BUSYBOX = `${reg}/fixtures/busybox:latest`;
let t: Awaited<ReturnType<typeof tempRoot>>;
const names: string[] = [];
const rk = (args: string[], opts = {}) => racker(t.root, args, opts);

function name(prefix: string): string {
  const n = uniqueName(prefix);
  names.push(n);
  return n;
}

beforeAll(async () => {
  t = await tempRoot('lifecycle');
  expect((await rk(['pull', '-q', '--tls-verify=false', BUSYBOX])).exitCode).toBe(0);
});

afterAll(async () => {
  for (const n of names) await rk(['rm', '-f', n]);
  const mounts = (await readProcFile('/proc/self/mounts')).split('\n').filter(l => l.includes(t.root));
  await t.remove();
  expect(mounts).toEqual([]);
});

const TICKER = ['sh', '-c', 'i=0; while true; do echo tick $i; echo warn $i >&2; i=$((i+1)); sleep 0.1; done'];

describe('detached app containers', () => {
  it('run -d prints the id at once; ps shows it; logs has stdout and stderr with timestamps', async () => {
    const n = name('ticker');
    const started = Date.now();
    const r = await rk(['run', '-d', '--name', n, BUSYBOX, ...TICKER]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^[a-f0-9]{64}$/);
    expect(Date.now() - started).toBeLessThan(10_000);
    await new Promise(res => setTimeout(res, 800));
    const ps = await rk(['ps', '--format', 'json']);
    const row = ps.stdout.split('\n').filter(Boolean).map(l => JSON.parse(l) as { ID: string; Names: string; State: string }).find(x => x.Names === n);
    expect(row).toMatchObject({ ID: r.stdout, State: 'running' });
    const q = await rk(['ps', '-q']);
    expect(q.stdout.split('\n')).toContain(r.stdout.slice(0, 12));
    const logs = await rk(['logs', n]);
    expect(logs.stdout).toMatch(/^tick 0\ntick 1\n/);
    expect(logs.stderr).toMatch(/^warn 0\n/);
    const tail = await rk(['logs', '--tail', '2', '-t', n]);
    const lines = [tail.stdout, tail.stderr].filter(Boolean).join('\n').split('\n');
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z (tick|warn) \d+$/);
  });

  it('logs -f follows until the container stops', async () => {
    const n = name('short');
    await rk(['run', '-d', '--name', n, BUSYBOX, 'sh', '-c', 'for i in 1 2 3 4 5; do echo line $i; sleep 0.2; done']);
    const r = await rk(['logs', '-f', n], { timeout: 20_000 });
    expect(r.stdout.split('\n')).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
    const ps = await rk(['ps', '-a', '--format', 'json']);
    expect(ps.stdout).toContain('"ExitCode":0');
  });

  it('exec runs in the container with its exit code, 127 and 126 as docker', async () => {
    const n = name('exec');
    await rk(['run', '-d', '--name', n, '-e', 'FROM_RUN=1', BUSYBOX, 'sleep', '300']);
    const r = await rk(['exec', '-e', 'EXTRA=2', '-w', '/tmp', n, 'sh', '-c', 'echo $FROM_RUN $EXTRA $(pwd) $(hostname); exit 5']);
    expect(r.stdout).toBe(`1 2 /tmp ${(await rk(['inspect', '-f', '{{.Config.Hostname}}', n])).stdout}`);
    expect(r.exitCode).toBe(5);
    expect((await rk(['exec', n, 'no-such'])).exitCode).toBe(127);
    expect((await rk(['exec', n, '/etc/passwd'])).exitCode).toBe(126);
    const piped = await rk(['exec', '-i', n, 'cat'], { input: 'through exec\n' });
    expect(piped.stdout).toBe('through exec');
    const who = await rk(['exec', '-u', 'nobody', n, 'id', '-u']);
    expect(who.stdout).toBe('65534');
  });

  it('stop kills an app that ignores SIGTERM after -t; exit 137', async () => {
    const n = name('stubborn');
    await rk(['run', '-d', '--name', n, BUSYBOX, 'sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done']);
    const started = Date.now();
    expect((await rk(['stop', '-t', '1', n])).exitCode).toBe(0);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(8000);
    expect((await rk(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', n])).stdout).toBe('exited 137');
  });

  it('stop lets an app that handles SIGTERM exit by itself', async () => {
    const n = name('polite');
    await rk(['run', '-d', '--name', n, BUSYBOX, 'sh', '-c', 'trap "exit 42" TERM; echo trapped; while true; do sleep 0.1; done']);
    // the command is PID 1 in its namespace: a SIGTERM that comes before its trap is set is ignored, as in docker
    expect(await until(async () => (await rk(['logs', n])).stdout.includes('trapped'), 30_000)).toBe(true);
    await rk(['stop', '-t', '10', n]);
    expect((await rk(['inspect', '-f', '{{.State.ExitCode}}', n])).stdout).toBe('42');
  });

  it('start brings a stopped container back with its writable layer; restart too', async () => {
    const n = name('keeper');
    await rk(['run', '-d', '--name', n, BUSYBOX, 'sh', '-c', 'echo run >> /state; cat /state | wc -l; sleep 300']);
    await new Promise(res => setTimeout(res, 300));
    await rk(['stop', '-t', '1', n]);
    expect((await rk(['start', n])).exitCode).toBe(0);
    await new Promise(res => setTimeout(res, 300));
    expect((await rk(['exec', n, 'cat', '/state'])).stdout).toBe('run\nrun');
    expect((await rk(['restart', '-t', '1', n])).exitCode).toBe(0);
    await new Promise(res => setTimeout(res, 300));
    expect((await rk(['exec', n, 'wc', '-l', '/state'])).stdout).toMatch(/^3 /);
  });

  it('rm refuses a running container without -f; names are validated and unique', async () => {
    const n = name('busy');
    await rk(['run', '-d', '--name', n, BUSYBOX, 'sleep', '300']);
    const clash = await rk(['run', '-d', '--name', n, BUSYBOX, 'true']);
    expect(clash.exitCode).toBe(125);
    expect(clash.stderr).toContain('already in use');
    const r = await rk(['rm', n]);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain('is running');
    expect((await rk(['rm', '-f', n])).exitCode).toBe(0);
    expect((await rk(['inspect', n])).exitCode).toBe(125);
    for (const bad of ['a/b', '..', '-x', 'a b']) expect((await rk(['run', '-d', '--name', bad, BUSYBOX, 'true'])).exitCode, bad).toBe(125);
  });

  it('kill -9 of the supervising racker: ps -a shows it exited, and the name can be reused after rm', async () => {
    const n = name('orphan');
    const id = (await rk(['run', '-d', '--name', n, BUSYBOX, 'sleep', '300'])).stdout;
    const sup = await execa('pgrep', ['-f', `supervisor-main.js --root ${t.root}`]);
    for (const pid of sup.stdout.split('\n').filter(Boolean)) {
      const env = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (env.includes('supervisor-main.js')) process.kill(Number(pid), 'SIGKILL');
    }
    // nspawn survives its parent: the next racker command must notice and clean up
    const ps = await rk(['ps', '-a', '--format', 'json']);
    const row = ps.stdout.split('\n').filter(Boolean).map(l => JSON.parse(l) as { ID: string; State: string }).find(x => x.ID === id);
    expect(row?.State).toBe('exited');
    expect((await execa('pgrep', ['-f', `${t.root}/containers/${id}`], { reject: false })).stdout).toBe('');
    expect((await rk(['rm', n])).exitCode).toBe(0);
    const again = await rk(['run', '--rm', '--name', n, BUSYBOX, 'true']);
    expect(again.exitCode).toBe(0);
  });

  it('inspect returns docker-style JSON for containers and images', async () => {
    const n = name('insp');
    await rk(['run', '-d', '--name', n, '-v', `${t.root}:/mnt/host:ro`, BUSYBOX, 'sleep', '300']);
    const [c] = JSON.parse((await rk(['inspect', n])).stdout) as [{ Name: string; State: { Running: boolean; Pid: number; Status: string }; Mounts: { Source: string; RW: boolean }[]; GraphDriver: { Data: { UpperDir: string } } }];
    expect(c.Name).toBe(n);
    expect(c.State).toMatchObject({ Running: true, Status: 'running' });
    expect(c.State.Pid).toBeGreaterThan(1);
    expect(c.Mounts).toEqual([{ Type: 'bind', Source: t.root, Destination: '/mnt/host', RW: false }]);
    expect(c.GraphDriver.Data.UpperDir).toContain(t.root);
    const [img] = JSON.parse((await rk(['inspect', BUSYBOX])).stdout) as [{ Id: string; RepoTags: string[] }];
    expect(img.RepoTags).toContain(`${reg}/fixtures/busybox:latest`);
    expect((await rk(['inspect', '-f', '{{.Nope}}', n])).exitCode).toBe(125);
  });

  it('container prune removes stopped containers only', async () => {
    const keep = name('up');
    const gone = name('down');
    await rk(['run', '-d', '--name', keep, BUSYBOX, 'sleep', '300']);
    await rk(['run', '--name', gone, BUSYBOX, 'true']);
    expect((await rk(['container', 'prune'])).exitCode).toBe(0);
    const all = (await rk(['ps', '-a', '--format', 'json'])).stdout;
    expect(all).toContain(keep);
    expect(all).not.toContain(gone);
  });

  it('--restart other than no is refused clearly', async () => {
    const r = await rk(['run', '-d', '--restart', 'always', BUSYBOX, 'true']);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain('--restart always is not supported');
  });
});

describe('image names without a tag mean :latest', () => {
  it('inspect, images and rmi find postroj/… and other names stored as given', async () => {
    const store = await tempRoot('default-tag');
    try {
      const pulled = await racker(store.root, ['pull', '-q', '--tls-verify=false', BUSYBOX]);
      expect(pulled.exitCode).toBe(0);
      const id = pulled.stdout.trim();
      // postroj keeps its curated images under names such as postroj/debian-bookworm:latest
      await new ImageStore(store.root).tag(['postroj/fixture-busybox:latest', 'fixtures/busybox:latest'], id);
      for (const n of ['postroj/fixture-busybox', 'fixtures/busybox', `${reg}/fixtures/busybox`]) {
        const r = await racker(store.root, ['inspect', '-f', '{{.Id}}', n]);
        expect(r.stderr, n).toBe('');
        expect(r.stdout, n).toBe(id);
      }
      const listed = async (ref: string) => (await racker(store.root, ['images', '--format', '{{.Repository}}:{{.Tag}}', ref])).stdout.split('\n').filter(Boolean);
      expect(await listed('postroj/fixture-busybox')).toEqual(['postroj/fixture-busybox:latest']);
      expect(await listed(`${reg}/fixtures/busybox`)).toEqual([`${reg}/fixtures/busybox:latest`]);
      expect(await listed('fixtures/busybox:other')).toEqual([]);
      const bad = await racker(store.root, ['images', 'Bad/Name']);
      expect(bad.exitCode).toBe(125);
      const untag = await racker(store.root, ['rmi', 'postroj/fixture-busybox']);
      expect(untag.stdout, untag.stderr).toBe('Untagged: postroj/fixture-busybox:latest');
      expect(untag.exitCode).toBe(0);
      expect(Object.keys(JSON.parse(await readFile(`${store.root}/tags.json`, 'utf8')) as object).sort())
        .toEqual([`${reg}/fixtures/busybox:latest`, 'fixtures/busybox:latest']);
    } finally {
      await store.remove();
    }
  });
});

describe('SIGTERM to a foreground racker run in boot-less mode with -t', () => {
  it('is handled like Ctrl-C: the container stops and nothing is left', async () => {
    const n = name('tty-term');
    const child = execa('script', ['-qfec', `${RACKER} --root ${t.root} run --rm -t --name ${n} ${BUSYBOX} sh -c 'trap "exit 0" TERM; echo started; while true; do sleep 0.1; done'`, '/dev/null'], { reject: false });
    await new Promise<void>(resolve => child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('started')) resolve(); }));
    // the racker process itself (node), not the shell `script` started it from
    const racker = (await execa('pgrep', ['-x', 'node', '-f'], { reject: false })).stdout;
    const pids = (await execa('pgrep', ['-f', `${t.root} run --rm -t --name ${n}`])).stdout.split('\n').filter(Boolean).map(Number);
    const nodePids: number[] = [];
    for (const pid of pids) if ((await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim() === 'node') nodePids.push(pid);
    expect(nodePids, racker).toHaveLength(1);
    process.kill(nodePids[0], 'SIGTERM');
    for (let i = 0; i < 100 && await readFile(`/proc/${nodePids[0]}/comm`, 'utf8').then(() => true, () => false); i++) await new Promise(res => setTimeout(res, 50));
    await child;
    expect((await execa('pgrep', ['-f', `--machine=${n} `], { reject: false })).stdout).toBe('');
    expect((await rk(['ps', '-a', '--format', 'json'])).stdout).not.toContain(n);
  });
});

describe('SIGTERM to the supervisor while it starts a container', () => {
  it('stops that container too: the supervisor exits and nothing is left (5 runs)', async () => {
    // a root of its own: the supervisor must have no other container (their stop handlers would keep it alive)
    const store = await tempRoot('supterm');
    const problems: string[] = [];
    try {
      expect((await racker(store.root, ['pull', '-q', '--tls-verify=false', BUSYBOX])).exitCode).toBe(0);
      for (let i = 0; i < 5; i++) {
        const n = uniqueName('supterm');
        let done = false;
        const cli = execa(RACKER, ['--root', store.root, 'run', '-d', '--name', n, '--stop-timeout', '1', BUSYBOX, 'sleep', '300'], { reject: false, stdin: 'ignore' });
        void cli.finally(() => { done = true; });
        await nspawnAppears(n, () => done);
        const sup = (await execa('pgrep', ['-f', `supervisor-main.js --root ${store.root}`], { reject: false })).stdout.split('\n').filter(Boolean).map(Number);
        for (const pid of sup) process.kill(pid, 'SIGTERM');
        await cli;
        // the supervisor exits once its container is stopped and cleaned up
        while (sup.some(pid => existsSync(`/proc/${pid}`) && !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')))) await new Promise(r => setTimeout(r, 20));
        const left = await nspawnOf(n);
        if (left.length) problems.push(`run ${i}: systemd-nspawn still runs (${left.join(' ')})`);
        for (const pid of left) process.kill(pid, 'SIGKILL');
        const rm = await racker(store.root, ['rm', '-f', n]);
        if (rm.exitCode !== 0) problems.push(`run ${i}: rm: ${rm.stderr}`);
      }
      const mounts = (await readProcFile('/proc/self/mounts')).split('\n').filter(l => l.includes(store.root));
      expect(mounts).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await store.remove();
    }
  });
});
