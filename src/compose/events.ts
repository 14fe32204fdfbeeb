import type { Engine } from '../engine/engine.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerRecord } from '../model/container.js';
import { printableJson, shown } from '../untrusted.js';
import { projectContainers, serviceOf } from './containers.js';

/**
 * `compose events`: what happens to the project's containers. racker has no
 * daemon that could push events, so the stream is the difference between two
 * readings of the container store: a new record is `create`, a (new) start
 * is `start`, a stop is `die`, a record gone is `destroy`.
 */

export interface ComposeEvent {
  time: Date;
  action: 'create' | 'start' | 'die' | 'destroy' | 'health_status';
  id: string;
  service: string;
  attributes: Record<string, string>;
}

const POLL_MS = 250;

/** The events that lead from one reading of the project's containers to the next. */
export function diffContainers(before: Map<string, ContainerRecord>, after: ContainerRecord[], now: Date): ComposeEvent[] {
  const out: ComposeEvent[] = [];
  const ev = (rec: ContainerRecord, action: ComposeEvent['action'], extra: Record<string, string> = {}) =>
    out.push({ time: now, action, id: rec.id, service: serviceOf(rec), attributes: { image: rec.imageName, name: rec.name, ...extra } });
  const seen = new Set<string>();
  for (const rec of after) {
    seen.add(rec.id);
    const old = before.get(rec.id);
    if (!old) ev(rec, 'create');
    const wasRunning = old?.state.status === 'running';
    const isRunning = rec.state.status === 'running';
    const restarted = !!old && isRunning && rec.state.startedAt !== old.state.startedAt;
    if (wasRunning && (!isRunning || restarted)) ev(rec, 'die', { exitCode: String(rec.state.exitCode ?? 0) });
    if (isRunning && (!wasRunning || restarted)) ev(rec, 'start');
    if (!wasRunning && old && rec.state.status === 'exited' && rec.state.finishedAt !== old.state.finishedAt) {
      // started and ended between two readings
      ev(rec, 'start');
      ev(rec, 'die', { exitCode: String(rec.state.exitCode ?? 0) });
    }
    const health = isRunning ? rec.state.health?.status : undefined;
    if (health && health !== (wasRunning ? old?.state.health?.status : undefined)) ev(rec, 'health_status', { healthStatus: health });
  }
  for (const [id, rec] of before) if (!seen.has(id)) ev(rec, 'destroy');
  return out;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** docker compose's line: `2006-01-02 15:04:05.000000 container start ID (image=…, name=…)`. */
export function formatEvent(e: ComposeEvent): string {
  const t = e.time;
  const stamp = `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds() * 1000, 6)}`;
  const attrs = Object.entries(e.attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join(', ');
  return shown(`${stamp} container ${e.action} ${e.id} (${attrs})`, Infinity);
}

/** With --json: docker compose's fields, one object a line. */
export function eventJson(e: ComposeEvent): string {
  return printableJson({ time: e.time.toISOString(), type: 'container', action: e.action, id: e.id, service: e.service, attributes: e.attributes });
}

/** Calls `emit` for every event of the project's containers (of `services`, all when empty) until `signal` aborts. */
export async function watchEvents(engine: Engine, project: string, services: string[], emit: (e: ComposeEvent) => void, signal: AbortSignal): Promise<void> {
  const read = async () => (await projectContainers(engine, project, { oneoff: true })).filter(c => !services.length || services.includes(serviceOf(c)));
  let before = new Map((await read()).map(c => [c.id, c]));
  while (!signal.aborted) {
    await sleep(POLL_MS);
    const now = await read();
    for (const e of diffContainers(before, now, new Date())) emit(e);
    before = new Map(now.map(c => [c.id, c]));
  }
}
