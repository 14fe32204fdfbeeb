import path from 'node:path';
import { debug } from '../log.js';
import { runAllowFail } from '../process.js';
import { containerLeader } from '../runtime/host.js';
import type { ContainerStore } from '../store/container-store.js';
import type { ContainerRecord } from '../model/container.js';
import type { ImageRecord } from '../model/image.js';
import { HEALTH_DEFAULTS } from './inspect-parity.js';
import { commandIn } from './exec.js';

export type { HealthState } from '../model/parity.js';
import type { HealthState } from '../model/parity.js';

const KEEP_RESULTS = 5;
/** docker keeps this much of a check's output */
const OUTPUT_MAX = 4096;

/** One result folded into the state, by docker's rules (failures in the start period do not count until it was healthy once). */
export function nextHealth(h: HealthState, result: HealthState['log'][number], inStartPeriod: boolean, retries: number): HealthState {
  const log = [...h.log, result].slice(-KEEP_RESULTS);
  if (result.exitCode === 0) return { status: 'healthy', failingStreak: 0, log };
  if (inStartPeriod && h.status === 'starting') return { ...h, log };
  const failingStreak = h.failingStreak + 1;
  return { status: failingStreak >= Math.max(1, retries) ? 'unhealthy' : h.status, failingStreak, log };
}

/**
 * The health check of a detached container, run by its supervisor: the
 * command inside the container, confined as `racker exec` confines it (app:
 * racker-enter with the payload's capabilities, seccomp, cgroups and user;
 * booted: a transient unit), every interval, its result recorded in the
 * container's state.
 */
export class HealthMonitor {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private health: HealthState = { status: 'starting', failingStreak: 0, log: [] };
  private readonly started = Date.now();

  constructor(private readonly store: ContainerStore, private readonly rec: ContainerRecord, private readonly image: ImageRecord) {}

  async start(): Promise<void> {
    if (!this.rec.spec.healthcheck?.test) return;
    await this.record();
    this.schedule();
  }

  /** No further checks; waits for one under way, so nothing is written after the caller records the exit. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    const interval = (this.rec.spec.healthcheck?.interval || HEALTH_DEFAULTS.interval) / 1e6;
    this.timer = setTimeout(() => {
      this.running = this.check().catch(err => debug(`health check of ${this.rec.name}: ${(err as Error).message}`)).finally(() => this.schedule());
    }, interval);
  }

  private async check(): Promise<void> {
    const h = this.rec.spec.healthcheck!;
    const start = new Date();
    const { cmd, args, env, replaceEnv } = await this.command(h.test!);
    const timeoutMs = (h.timeout || HEALTH_DEFAULTS.timeout) / 1e6;
    // only the first OUTPUT_MAX bytes are kept while reading: a check printing 100 MB must not grow the supervisor
    const r = await runAllowFail(cmd, args, { timeout: timeoutMs, all: true, maxOutput: OUTPUT_MAX, env, replaceEnv, stripFinalNewline: false });
    if (this.stopped) return;
    const output = r.timedOut ? `Health check exceeded timeout (${timeoutMs / 1000}s)` : String(r.all ?? '').slice(0, OUTPUT_MAX);
    const exitCode = r.timedOut ? -1 : r.exitCode ?? -1;
    const startPeriodMs = (h.startPeriod ?? HEALTH_DEFAULTS.startPeriod) / 1e6;
    this.health = nextHealth(this.health, { start: start.toISOString(), end: new Date().toISOString(), exitCode, output },
      Date.now() - this.started < startPeriodMs, h.retries ?? HEALTH_DEFAULTS.retries);
    await this.record();
  }

  /** The host command that runs the check inside the container, as `racker exec` would, with the container's environment. */
  private async command(test: string[]): Promise<{ cmd: string; args: string[]; env?: NodeJS.ProcessEnv; replaceEnv?: boolean }> {
    const argv = test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', test.slice(1).join(' ')] : test.slice(1);
    const leader = this.rec.state.nspawnPid ? await containerLeader(this.rec.state.nspawnPid) : undefined;
    if (!leader) throw new Error('no container leader');
    const c = await commandIn(this.rec, this.image, leader, path.join(this.store.dir(this.rec.id), 'rootfs'), argv, {});
    return { ...c, replaceEnv: c.env !== undefined };
  }

  private async record(): Promise<void> {
    const fresh = await this.store.read(this.rec.id);
    if (this.stopped || !fresh || fresh.state.status !== 'running' || fresh.state.startedAt !== this.rec.state.startedAt) return;
    await this.store.write({ ...fresh, state: { ...fresh.state, health: this.health } });
  }
}
