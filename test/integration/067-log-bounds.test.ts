import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execa } from 'execa';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RACKER, racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { killLeader, leaderOf, recordOf, supervisorsOf, sweepRoot, until, type Leader } from '../helpers/pidns.js';

/**
 * A container's output is bounded while it is read (HOSTILE-INPUTS 29): a
 * line without a newline is logged in 16 KiB pieces (docker's json-file
 * partial messages) without the shared supervisor's memory growing or other
 * containers waiting, and a log of any size is read with --tail from its end
 * and streamed without it.
 */
const reg = inject('registry');
const BUSYBOX = `${reg}/fixtures/busybox:latest`;
const MiB = 1024 * 1024;
let t: Awaited<ReturnType<typeof tempRoot>>;
let shared: string;
const names: string[] = [];
const leaders: Leader[] = [];
const rk = (args: string[], opts = {}) => racker(t.root, args, opts);

function name(prefix: string): string {
  const n = uniqueName(prefix);
  names.push(n);
  return n;
}

async function idOf(n: string): Promise<string> {
  const r = await rk(['inspect', '-f', '{{.Id}}', n]);
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout.trim();
}

const exists = (f: string) => stat(f).then(() => true, () => false);

/** kB of a process's peak resident memory */
async function peakKb(pid: number): Promise<number> {
  const m = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

/** racker's exit code, output and peak memory (kB), measured by time(1) */
async function measured(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string; maxKb: number }> {
  const r = await execa('/usr/bin/time', ['-f', 'maxrss=%M', RACKER, '--root', t.root, ...args], { reject: false, stdin: 'ignore', timeout: 300_000, maxBuffer: 256 * MiB, stripFinalNewline: false });
  const m = /maxrss=(\d+)\s*$/.exec(String(r.stderr));
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr).replace(/maxrss=\d+\s*$/, ''), maxKb: Number(m?.[1] ?? NaN) };
}

beforeAll(async () => {
  t = await tempRoot('log-bounds');
  shared = await mkdtemp(path.join(tmpdir(), 'racker-test-log-shared-'));
  expect((await rk(['pull', '-q', '--tls-verify=false', BUSYBOX])).exitCode).toBe(0);
});

afterAll(async () => {
  for (const l of leaders) await killLeader(l);
  if (names.length) await rk(['rm', '-f', ...names]);
  const mounts = await sweepRoot(t.root);
  await t.remove();
  await rm(shared, { recursive: true, force: true });
  expect(mounts).toEqual([]);
}, 120_000);

describe('a container writing without newlines', () => {
  it('is logged in 16 KiB pieces, keeps the supervisor small and does not hold up another run -d', async () => {
    const writer = name('nonl');
    // 32 MiB of 'a' without a newline, then more until the test says stop, then two lines
    const script = [
      'head -c 33554432 /dev/zero | tr "\\0" a', 'touch /s/written',
      'while [ ! -e /s/stop ]; do head -c 65536 /dev/zero | tr "\\0" b; done',
      'echo', 'echo end-of-writing', 'while [ ! -e /s/end ]; do sleep 0.1; done',
    ].join('; ');
    const r = await rk(['run', '-d', '--name', writer, '-v', `${shared}:/s`, BUSYBOX, 'sh', '-c', script]);
    expect(r.exitCode, r.stderr).toBe(0);
    const id = r.stdout.trim();
    const pid = (await recordOf(t.root, id)).state.nspawnPid;
    const leader = pid ? await leaderOf(pid) : undefined;
    if (leader) leaders.push(leader);

    expect(await until(() => exists(path.join(shared, 'written')), 240_000), 'the writer wrote 32 MiB').toBe(true);
    // the supervisor serves this one too, while the writer still writes
    const other = name('other');
    const o = await rk(['run', '-d', '--name', other, BUSYBOX, 'sh', '-c', 'echo other-up; sleep 300'], { timeout: 240_000 });
    expect(o.exitCode, o.stderr).toBe(0);
    expect(await exists(path.join(shared, 'stop')), 'the writer was still writing').toBe(false);
    await writeFile(path.join(shared, 'stop'), '');

    const ended = await until(async () => (await rk(['logs', '--tail', '1', writer])).stdout === 'end-of-writing', 240_000);
    expect(ended, 'the writer finished').toBe(true);
    const sups = await supervisorsOf(t.root);
    expect(sups).toHaveLength(1);
    const peak = await peakKb(sups[0]);
    await writeFile(path.join(shared, 'end'), '');
    expect(peak, `supervisor peak memory ${peak} kB`).toBeLessThan(120 * 1024);

    // the file has pieces of at most 16 KiB, marked partial; `logs` joins them as docker does
    const records = (await readFile(path.join(t.root, 'containers', id, 'container.log'), 'utf8')).split('\n').filter(Boolean)
      .map(l => JSON.parse(l) as { l: string; p?: boolean; s: string });
    expect(records.reduce((m, x) => Math.max(m, Buffer.byteLength(x.l)), 0)).toBeLessThanOrEqual(16 * 1024);
    expect(records.filter(x => x.p).length).toBeGreaterThanOrEqual(2048);
    expect(records.slice(-2)).toMatchObject([{ l: '', s: 'stdout' }, { l: 'end-of-writing' }]);
    const all = await measured(['logs', writer]);
    expect(all.exitCode, all.stderr).toBe(0);
    const [long, last, rest] = all.stdout.split('\n');
    const firstB = long.indexOf('b');
    expect(firstB).toBe(32 * MiB);
    expect(long === 'a'.repeat(firstB) + 'b'.repeat(long.length - firstB), 'the output comes back joined, byte for byte').toBe(true);
    expect([last, rest]).toEqual(['end-of-writing', '']);
  }, 600_000);
});

describe('a log of more than 512 MiB', () => {
  let n: string;
  beforeAll(async () => {
    n = name('biglog');
    const r = await rk(['run', '--name', n, BUSYBOX, 'true']);
    expect(r.exitCode, r.stderr).toBe(0);
    // built in the log's own format: three lines, 600 MiB (a hole: no disk used) that is no record, two lines
    const rec = (l: string) => JSON.stringify({ t: new Date().toISOString(), s: 'stdout', l }) + '\n';
    const fh = await open(path.join(t.root, 'containers', await idOf(n), 'container.log'), 'w');
    try {
      await fh.write(rec('first') + rec('second') + rec('third'), 0);
      await fh.write('\n' + rec('next to last') + rec('last'), 600 * MiB);
    } finally {
      await fh.close();
    }
  }, 120_000);

  it('logs --tail 2 reads it from the end, in little memory', async () => {
    const r = await measured(['logs', '--tail', '2', n]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('next to last\nlast\n');
    expect(r.maxKb, `racker logs --tail 2: ${r.maxKb} kB`).toBeLessThan(150 * 1024);
  }, 300_000);

  it('logs without --tail streams it', async () => {
    const r = await measured(['logs', n]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('first\nsecond\nthird\nnext to last\nlast\n');
    expect(r.maxKb, `racker logs: ${r.maxKb} kB`).toBeLessThan(150 * 1024);
  }, 300_000);
});
