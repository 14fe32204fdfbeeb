import { RackerError } from '../errors.js';
import type { ContainerRecord, ContainerState } from '../model/container.js';

/**
 * A container's lifecycle, with every transition in this one place:
 *
 *   created ──start──▶ running ──exit──▶ exited ──start──▶ running
 *      │                                   │
 *      └──────────────remove───────────────┴──▶ (gone)
 *
 * A running container is removed only by first ending it (`rm -f` kills, then removes).
 */
export type ContainerStatus = ContainerState['status'];

export type Action = 'start' | 'stop' | 'kill' | 'exec' | 'remove';

const ALLOWED: Record<Action, readonly ContainerStatus[]> = {
  start: ['created', 'exited'],
  stop: ['running'],
  kill: ['running'],
  exec: ['running'],
  remove: ['created', 'exited'],
};

/** The typed views a caller can hold: what it may do follows from the type. */
export type CreatedContainer = ContainerRecord & { state: ContainerState & { status: 'created' } };
export type RunningContainer = ContainerRecord & { state: ContainerState & { status: 'running'; nspawnPid: number } };
export type ExitedContainer = ContainerRecord & { state: ContainerState & { status: 'exited'; exitCode: number } };

export function can(rec: ContainerRecord, action: Action): boolean {
  return ALLOWED[action].includes(rec.state.status);
}

export function isRunning(rec: ContainerRecord): rec is RunningContainer {
  return rec.state.status === 'running' && rec.state.nspawnPid !== undefined;
}

/** Refuse an action the container's state does not allow, saying what to do instead. */
export function mustBeAbleTo(rec: ContainerRecord, action: Action): void {
  if (can(rec, action)) return;
  if (action === 'remove') {
    throw new RackerError(`cannot remove container ${rec.name}: it is running`, { hint: `stop it first (racker stop ${rec.name}) or use -f` });
  }
  if (action === 'start') throw new RackerError(`container ${rec.name} is already running`);
  throw new RackerError(`container ${rec.name} is not running`, { hint: `start it first: racker start ${rec.name}` });
}

/** created/exited → running: the supervisor (or attached racker) and nspawn that run it. */
export function toRunning(rec: ContainerRecord, fields: Omit<ContainerState, 'status' | 'exitCode' | 'finishedAt' | 'killedBy'>): ContainerRecord {
  if (!can(rec, 'start') && rec.state.status !== 'running') throw new RackerError(`container ${rec.name} cannot start from state ${rec.state.status}`);
  return { ...rec, state: { ...fields, status: 'running' } };
}

/** running → exited, with the exit code docker would report. */
export function toExited(rec: ContainerRecord, exitCode: number): ContainerRecord {
  return { ...rec, state: { ...rec.state, status: 'exited', exitCode, finishedAt: rec.state.finishedAt && rec.state.status === 'exited' ? rec.state.finishedAt : new Date().toISOString() } };
}
