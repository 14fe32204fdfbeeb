import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RackerError } from '../errors.js';
import type { Engine } from '../engine/engine.js';
import { sleep } from '../runtime/container-processes.js';
import type { ContainerRecord } from '../store/container-store.js';
import { cleanText } from '../untrusted.js';
import type { RunHealthcheck } from './to-run-options.js';

/**
 * Health checks run from the compose process (racker has no daemon): the
 * test is exec'd in the container with its output to a file of ours, on
 * docker's schedule (start period, interval, timeout, retries). A booted OS
 * container without a test of its own is healthy once systemd says running
 * (or degraded).
 */

/** A test to run, times in milliseconds. */
export interface HealthTest { argv: string[]; interval: number; timeout: number; startPeriod: number; startInterval: number; retries: number; systemd: boolean }

export type Health = 'healthy' | 'unhealthy' | 'starting';

const SYSTEMD_STATES = ['running', 'degraded'];
const ns = (v: unknown) => (typeof v === 'number' && v > 0 ? v / 1e6 : undefined);

/** The test for a container: the service's, else the image's Healthcheck, else systemd's for a booted one; undefined: none. */
export function healthTest(hc: RunHealthcheck | undefined, image: Record<string, unknown> | null | undefined, boot: boolean): HealthTest | undefined {
  const img = image ?? {};
  const test = hc?.test ?? (Array.isArray(img.Test) ? (img.Test as unknown[]).filter((x): x is string => typeof x === 'string') : undefined);
  const ms = (s: number | undefined) => (s === undefined ? undefined : s * 1000);
  const times = {
    interval: ms(hc?.interval) ?? ns(img.Interval) ?? 30_000,
    timeout: ms(hc?.timeout) ?? ns(img.Timeout) ?? 30_000,
    startPeriod: ms(hc?.startPeriod) ?? ns(img.StartPeriod) ?? 0,
    startInterval: ms(hc?.startInterval) ?? ns(img.StartInterval) ?? 5_000,
    retries: hc?.retries ?? (typeof img.Retries === 'number' && img.Retries > 0 ? img.Retries : 3),
  };
  if (test?.[0] === 'NONE') return undefined;
  if (test?.[0] === 'CMD' && test.length > 1) return { argv: test.slice(1), ...times, systemd: false };
  if (test?.[0] === 'CMD-SHELL' && test.length > 1) return { argv: ['/bin/sh', '-c', test.slice(1).join(' ')], ...times, systemd: false };
  if (boot) return { argv: ['systemctl', 'is-system-running'], ...times, interval: Math.min(times.interval, 1000), startInterval: 1000, systemd: true };
  return undefined;
}

/** One run of the test: passed or not, with the start of its output (cleaned: it comes from the container). */
export async function probe(engine: Engine, name: string, test: HealthTest): Promise<{ ok: boolean; output: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'racker-health-'));
  const file = path.join(dir, 'out');
  const fh = await open(file, 'w', 0o600);
  try {
    const run = engine.containers.exec(name, test.argv, { output: { fd: fh.fd } });
    let timer: NodeJS.Timeout | undefined;
    // a test that overruns is a failure; its process is left to finish on its own (the engine's exec cannot be cancelled)
    const code = await Promise.race([run.catch(() => -1), new Promise<number>(r => { timer = setTimeout(() => r(-2), test.timeout); })]);
    clearTimeout(timer);
    const output = cleanText((await readFile(file, 'utf8')).slice(0, 4096)).trim();
    if (code === -2) return { ok: false, output: `the health check timed out after ${test.timeout / 1000}s` };
    return { ok: test.systemd ? SYSTEMD_STATES.includes(output.split('\n').pop() ?? '') : code === 0, output };
  } finally {
    await fh.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Wait until the container is healthy, on docker's rules: failures in the
 * start period do not count, `retries` failures in a row after it make it
 * unhealthy; a container that stops fails at once. `deadline` (ms since the
 * epoch) bounds the wait; `signal` ends it.
 */
export async function waitHealthy(engine: Engine, rec: ContainerRecord, test: HealthTest, deadline = Infinity, signal?: AbortSignal): Promise<void> {
  const started = Date.now();
  let failures = 0;
  let last = '';
  for (;;) {
    const inStart = Date.now() - started < test.startPeriod;
    await pause(Math.max(0, Math.min(inStart ? test.startInterval : test.interval, deadline - Date.now())), signal);
    if (signal?.aborted) throw new RackerError('interrupted', { exitCode: 130 });
    if (Date.now() >= deadline) throw new RackerError(`container ${rec.name} is not healthy in time${last ? `: ${last}` : ''}`, { hint: 'raise --wait-timeout or look at racker compose logs' });
    const now = await engine.containers.get(rec.id);
    if (now.state.status !== 'running') throw new RackerError(`container ${rec.name} exited (${now.state.exitCode ?? -1}) before it was healthy`, { hint: `see racker logs ${rec.name}` });
    const r = await probe(engine, rec.id, test).catch((err: unknown) => ({ ok: false, output: err instanceof Error ? err.message : String(err) }));
    if (r.ok) return;
    last = r.output.split('\n').slice(-1)[0]?.slice(0, 200) ?? '';
    if (Date.now() - started >= test.startPeriod) failures++;
    if (failures >= test.retries) throw new RackerError(`container ${rec.name} is unhealthy${last ? `: ${last}` : ''}`, { hint: `the health check failed ${failures} times; see racker compose logs` });
  }
}

/** Sleep `ms`, or less once `signal` aborts. */
async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end && !signal?.aborted;) await sleep(Math.min(200, end - Date.now()));
}

/**
 * Health now, for `ps` (racker keeps no health history): healthy at the
 * first passing probe; unhealthy only after `retries` failures in a row, as
 * docker needs before it says unhealthy, so one probe that could not run
 * (a busy host) does not flip the status.
 */
export async function healthNow(engine: Engine, rec: ContainerRecord, test: HealthTest | undefined): Promise<Health | undefined> {
  if (!test || rec.state.status !== 'running') return undefined;
  for (let i = 0; i < test.retries; i++) {
    if (i > 0) await sleep(Math.min(test.interval, 500));
    if ((await probe(engine, rec.id, test).catch(() => ({ ok: false }))).ok) return 'healthy';
  }
  return 'unhealthy';
}
