import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdir, mkdtemp, readdir, readFile, writeFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { racker, RACKER, tempRoot, uniqueName } from '../helpers/cli.js';
import { inParallel, underLoad, underTerminal } from '../helpers/terminal.js';
import { signalEarly } from '../helpers/early-signal.js';
import { readProcFile } from '../../src/process.js';

const reg = inject('registry');
const BUSYBOX = `${reg}/fixtures/busybox:latest`;
const MULTI = `${reg}/fixtures/multi:latest`;

let t: Awaited<ReturnType<typeof tempRoot>>;
beforeAll(async () => {
  t = await tempRoot('run');
  for (const img of [BUSYBOX, MULTI]) expect((await racker(t.root, ['pull', '-q', '--tls-verify=false', img])).exitCode).toBe(0);
});
afterAll(async () => { await t.remove(); });

const run = (args: string[], opts = {}) => racker(t.root, ['run', '--rm', ...args], opts);

async function mountsUnder(root: string): Promise<string[]> {
  return (await readProcFile('/proc/self/mounts')).split('\n').filter(l => l.includes(root));
}

describe('racker run (app mode)', () => {
  it('runs a command and passes its output and exit code back', async () => {
    const r = await run([BUSYBOX, 'sh', '-c', 'echo hi; echo oops >&2; exit 7']);
    expect(r.stdout).toBe('hi');
    expect(r.stderr).toContain('oops');
    expect(r.exitCode).toBe(7);
  });

  it('pulls a missing image first, with docker\'s message', async () => {
    const fresh = await tempRoot('run-pull');
    try {
      const r = await racker(fresh.root, ['run', '--rm', '--tls-verify=false', BUSYBOX, 'echo', 'ok']);
      expect(r.stderr).toContain(`Unable to find image '${BUSYBOX}' locally`);
      expect(r.stdout).toBe('ok');
      expect(r.exitCode).toBe(0);
    } finally {
      await fresh.remove();
    }
  });

  it('127 for a command that does not exist, 126 for one that cannot be invoked', async () => {
    const nf = await run([BUSYBOX, 'no-such-command']);
    expect(nf.exitCode).toBe(127);
    expect(nf.stderr).toContain('executable file not found in $PATH');
    const abs = await run([BUSYBOX, '/bin/nope']);
    expect(abs.exitCode).toBe(127);
    const ni = await run([BUSYBOX, '/etc/passwd']);
    expect(ni.exitCode).toBe(126);
    expect(ni.stderr).toContain('permission denied');
  });

  it('passes stdin through with -i', async () => {
    const r = await run(['-i', BUSYBOX, 'cat'], { input: 'hi\n' });
    expect(r.stdout).toBe('hi');
    expect(r.exitCode).toBe(0);
    const closed = await run([BUSYBOX, 'cat']);
    expect(closed.stdout).toBe('');
    expect(closed.exitCode).toBe(0);
  });

  it('uses the image Env and WorkingDir; -e, --env-file and -w override', async () => {
    const r = await run([MULTI, 'sh', '-c', 'echo $FROM_IMAGE $PATH; pwd']);
    expect(r.stdout.split('\n')).toEqual(['yes /bin', '/data']);
    const envFile = path.join(t.root, 'env.list');
    await writeFile(envFile, '# comment\nFROM_FILE=file value\n\nFROM_IMAGE=overridden\n');
    const o = await run(['-e', 'A=1', '--env-file', envFile, '-e', 'HOSTVAR', '-w', '/tmp', MULTI, 'sh', '-c', 'echo "$A|$FROM_FILE|$FROM_IMAGE|$HOSTVAR"; pwd'],
      { env: { ...process.env, HOSTVAR: 'from host' } });
    expect(o.stdout.split('\n')).toEqual(['1|file value|overridden|from host', '/tmp']);
  });

  it('--entrypoint replaces the entrypoint; the command replaces Cmd', async () => {
    const r = await run(['--entrypoint', 'echo', BUSYBOX, 'a', 'b']);
    expect(r.stdout).toBe('a b');
    const def = await run(['-i', BUSYBOX], { input: 'echo from-default-cmd\n' });
    expect(def.stdout).toBe('from-default-cmd');
  });

  it('shows the image layers stacked: whiteouts, opaque dirs, hardlinks', async () => {
    const r = await run([MULTI, 'sh', '-c',
      'ls /data | sort | tr "\\n" " "; echo; ls /data/opaque; cat /data/keep.txt; stat -c "%i %h" /data/linked.txt /data/hardlink.txt; stat -c "%a %u:%g" /data/owned.txt /data/setuid']);
    const lines = r.stdout.split('\n');
    expect(lines[0].trim()).toBe('hardlink.txt keep.txt linked.txt opaque owned.txt setuid');
    expect(lines[1]).toBe('new.txt');
    expect(lines[2]).toBe('keep');
    const [a, b] = [lines[3].split(' '), lines[4].split(' ')];
    expect(a[0]).toBe(b[0]);
    expect(a[1]).toBe('2');
    expect(lines[5]).toBe('640 1000:1000');
    expect(lines[6]).toBe('4755 0:0');
  });

  it('a layer the manifest lists twice is applied twice, in order', async () => {
    // busybox, A, B, A: the second A re-adds what B deleted, whites out what B added, hides B's od/ files
    const REPEATED = `${reg}/fixtures/repeated:latest`;
    expect((await racker(t.root, ['pull', '-q', '--tls-verify=false', REPEATED])).exitCode).toBe(0);
    const r = await run([REPEATED, 'sh', '-c', 'cat /a.txt /shared.txt /b-only.txt; ls /od; test -e /from-b.txt && echo from-b-visible; echo end']);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual(['from A', 'shared from A', 'b only', 'a.txt', 'end']);
    expect(r.exitCode).toBe(0);
    expect(await mountsUnder(t.root)).toEqual([]);
  });

  it('gives each run a throwaway layer and never modifies the image', async () => {
    const w = await run([MULTI, 'sh', '-c', 'echo changed > /data/keep.txt; rm /data/linked.txt; cat /data/keep.txt']);
    expect(w.stdout).toBe('changed');
    const r = await run([MULTI, 'sh', '-c', 'cat /data/keep.txt /data/linked.txt']);
    expect(r.stdout).toBe('keep\nlinked content');
  });

  it('--rm leaves no container directory and no mount', async () => {
    await run([BUSYBOX, 'true']);
    expect(await readdir(path.join(t.root, 'containers'))).toEqual([]);
    expect(await mountsUnder(t.root)).toEqual([]);
  });

  it('without --rm the container stays with its exit code; names are unique', async () => {
    const name = uniqueName('keep');
    const r = await racker(t.root, ['run', '--name', name, BUSYBOX, 'sh', '-c', 'exit 3']);
    expect(r.exitCode).toBe(3);
    const ids = await readdir(path.join(t.root, 'containers'));
    expect(ids.length).toBe(1);
    const rec = JSON.parse(await readFile(path.join(t.root, 'containers', ids[0], 'config.json'), 'utf8')) as { name: string; state: { status: string; exitCode: number } };
    expect(rec).toMatchObject({ name, state: { status: 'exited', exitCode: 3 } });
    const clash = await racker(t.root, ['run', '--rm', '--name', name, BUSYBOX, 'true']);
    expect(clash.exitCode).toBe(125);
    expect(clash.stderr).toContain(`"${name}" is already in use`);
    expect(await mountsUnder(t.root)).toEqual([]);
    const rmi = await racker(t.root, ['rmi', BUSYBOX]);
    expect(rmi.exitCode).toBe(125);
    expect(rmi.stderr).toContain('is using it');
  });

  it('bind-mounts host directories, read-write and read-only', async () => {
    const host = path.join(t.root, 'vol');
    await mkdir(host);
    await writeFile(path.join(host, 'in.txt'), 'from host\n');
    const rw = await run(['-v', `${host}:/mnt/vol`, BUSYBOX, 'sh', '-c', 'cat /mnt/vol/in.txt; echo from container > /mnt/vol/out.txt']);
    expect(rw.stdout).toBe('from host');
    expect(await readFile(path.join(host, 'out.txt'), 'utf8')).toBe('from container\n');
    const ro = await run(['-v', `${host}:/mnt/vol:ro`, BUSYBOX, 'sh', '-c', 'echo x > /mnt/vol/nope.txt']);
    expect(ro.exitCode).not.toBe(0);
    await expect(stat(path.join(host, 'nope.txt'))).rejects.toThrow();
  });

  it('bind-mounts a host file or directory onto a path the image lacks; a file onto a directory is refused', async () => {
    const file = path.join(t.root, 'vol-file.conf');
    await writeFile(file, 'file from host\n');
    const dir = path.join(t.root, 'vol-dir');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'x.txt'), 'x\n');
    const r = await run(['-v', `${file}:/new/deep/app.conf:ro`, '-v', `${dir}:/new/dir`, '-v', `${file}:/etc/passwd-copy`, BUSYBOX,
      'sh', '-c', 'cat /new/deep/app.conf /new/dir/x.txt /etc/passwd-copy; test -f /new/deep/app.conf && echo is-file']);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual(['file from host', 'x', 'file from host', 'is-file']);
    expect(r.exitCode).toBe(0);
    const onDir = await run(['-v', `${file}:/home`, BUSYBOX, 'true']);
    expect(onDir.exitCode).toBe(125);
    expect(onDir.stderr).toMatch(/cannot mount file .*vol-file\.conf on \/home: the image has a directory there/);
    expect(onDir.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(2);
    const dirOnFile = await run(['-v', `${dir}:/etc/group`, BUSYBOX, 'true']);
    expect(dirOnFile.exitCode).toBe(125);
    expect(dirOnFile.stderr).toMatch(/cannot mount directory .*vol-dir on \/etc\/group: the image has a file there/);
    expect(await mountsUnder(t.root)).toEqual([]);
  });

  it('refuses bad volumes, names and users with one clear line', async () => {
    const cases: [string[], RegExp][] = [
      [['-v', './relative:/x'], /invalid characters for a volume name/],
      [['-v', '/definitely/missing:/x'], /does not exist/],
      [['-v', `${t.root}:/etc`], /refusing to mount over \/etc/],
      [['-v', `${t.root}:/`], /refusing to mount over \//],
      [['--name', '../evil'], /invalid container name/],
      [['-u', 'nobody'], /has no getent/],
      [['-u', 'ghost'], /unable to find user ghost/],
    ];
    for (const [flags, msg] of cases) {
      const r = await run([...flags, BUSYBOX, 'true']);
      expect(r.exitCode, flags.join(' ')).toBe(125);
      expect(r.stderr, flags.join(' ')).toMatch(msg);
    }
    expect(await readdir(path.join(t.root, 'containers'))).toHaveLength(1);
  });

  it('gives a real terminal with -t', async () => {
    const r = await execa('script', ['-qec', `${RACKER} --root ${t.root} run --rm -t ${BUSYBOX} sh -c 'test -t 0 && test -t 1 && echo is-a-tty'`, '/dev/null'], { reject: false, stdin: 'ignore' });
    expect(r.stdout).toContain('is-a-tty');
    expect(r.exitCode).toBe(0);
  });

  describe('-t without a terminal on both sides passes the pipes as they are', () => {
    it('stdin piped, stdout a terminal: stdin reaches the command and its exit code comes back', async () => {
      const r = await underTerminal(`printf 'from-pipe\\n' | ${RACKER} --root ${t.root} run -it --rm ${BUSYBOX} sh -c 'cat; test -t 1 && echo stdout-is-a-tty; exit 5'`);
      expect(r.output).toContain('from-pipe');
      expect(r.output).toContain('stdout-is-a-tty');
      expect(r.exitCode).toBe(5);
    });

    it('stdin a terminal, stdout piped: the output arrives byte for byte', async () => {
      const dir = await mkdtemp(path.join(t.root, 'tty-'));
      await underTerminal(`{ ${RACKER} --root ${t.root} run -it --rm ${BUSYBOX} sh -c 'test -t 0 && echo stdin-is-a-tty; printf "a\\nb\\n"; exit 6'; echo $? > ${dir}/rc; } | cat > ${dir}/out`);
      expect(await readFile(path.join(dir, 'out'), 'utf8')).toBe('stdin-is-a-tty\na\nb\n');
      expect(await readFile(path.join(dir, 'rc'), 'utf8')).toBe('6\n');
    });

    it('both piped, with -i and without', async () => {
      const both = await run(['-it', BUSYBOX, 'sh', '-c', 'cat; exit 4'], { input: 'one\ntwo\n', stripFinalNewline: false });
      expect(both.stdout).toBe('one\ntwo\n');
      expect(both.exitCode).toBe(4);
      const noStdin = await run(['-t', BUSYBOX, 'sh', '-c', 'printf "a\\nb\\n"; cat; exit 3'], { input: 'not for the command\n', stripFinalNewline: false });
      expect(noStdin.stdout).toBe('a\nb\n');
      expect(noStdin.exitCode).toBe(3);
    });

    it('delivers the output and the exit code every time, under load (30 runs, 3 at a time)', async () => {
      const failures: string[] = [];
      await underLoad(() => inParallel(30, 3, async i => {
        const r = await run(['-it', BUSYBOX, 'sh', '-c', `cat; echo run-${i}; exit ${i % 2}`], { input: `in-${i}\n` });
        if (r.stdout !== `in-${i}\nrun-${i}` || r.exitCode !== i % 2) failures.push(`run ${i}: exit ${r.exitCode}, stdout ${JSON.stringify(r.stdout)}, stderr ${JSON.stringify(r.stderr)}`);
      }));
      expect(failures).toEqual([]);
      expect(await mountsUnder(t.root)).toEqual([]);
    });
  });

  it('SIGTERM to racker stops the container and cleans up (exit 143)', async () => {
    const child = execa(RACKER, ['--root', t.root, 'run', '--rm', BUSYBOX, 'sh', '-c', 'trap "exit 0" TERM; echo started; while true; do sleep 0.1; done'], { reject: false });
    await new Promise<void>(resolve => child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('started')) resolve(); }));
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(143);
    expect(await mountsUnder(t.root)).toEqual([]);
    expect((await execa('pgrep', ['-f', t.root], { reject: false })).stdout).toBe('');
  });

  it('a second signal kills a container that ignores SIGTERM', async () => {
    const child = execa(RACKER, ['--root', t.root, 'run', '--rm', BUSYBOX, 'sh', '-c', 'trap "" TERM; echo started; while true; do sleep 0.1; done'], { reject: false });
    await new Promise<void>(resolve => child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('started')) resolve(); }));
    child.kill('SIGINT');
    await new Promise(r => setTimeout(r, 300));
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(await mountsUnder(t.root)).toEqual([]);
  });

  describe('a signal as early as racker can get one is never lost (10 runs each)', () => {
    beforeAll(async () => { await mkdir(path.join(t.root, 'containers'), { recursive: true }); });
    // PID 1 without a handler for a while (until its trap is set) ignores SIGTERM: a short --stop-timeout then
    const args = ['--stop-timeout', '1', BUSYBOX, 'sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 0.1; done'];

    it('as soon as the container\'s record appears: the start is undone, exit 130 / 143, nothing left', async () => {
      const problems: string[] = [];
      for (let i = 0; i < 10; i++) problems.push(...await signalEarly(t.root, i % 2 ? 'SIGTERM' : 'SIGINT', 'record', args));
      expect(problems).toEqual([]);
    });

    it('as soon as systemd-nspawn runs: the container is stopped, exit 130 / 143, nothing left', async () => {
      const problems: string[] = [];
      for (let i = 0; i < 10; i++) problems.push(...await signalEarly(t.root, i % 2 ? 'SIGTERM' : 'SIGINT', 'nspawn', args));
      expect(problems).toEqual([]);
    });
  });
});
