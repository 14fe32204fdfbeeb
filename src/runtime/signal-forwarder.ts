import { debug } from '../log.js';
import { signalNumber } from '../process.js';
import { askToStop, killRunning } from './container-processes.js';

type Child = { pid: number | undefined; kill(s: NodeJS.Signals): void };

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Ctrl-C / SIGTERM / SIGHUP to racker while it runs a container: ask the
 * container to stop (nspawn passes SIGTERM to its PID 1), kill it after the
 * timeout, or at once on a second signal. Made before racker makes anything
 * that needs undoing: a signal that comes before the container's PID 1 is
 * known is held (never racker's death by the default action, which would
 * leave nspawn and the container running) and acted on once forwardTo() names
 * the container; a runner that sees `exitCode` set before it starts nspawn
 * undoes the start instead.
 */
export class SignalForwarder {
  received: NodeJS.Signals | undefined;
  private held = 0;
  private target: { child: Child; timeoutSec: number; stop: () => void } | undefined;
  private stopping = false;
  private over = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly handler = (sig: NodeJS.Signals) => this.onSignal(sig);

  constructor() {
    for (const s of SIGNALS) process.on(s, this.handler);
  }

  /** docker's exit code for the first signal (130 for SIGINT, 143 for SIGTERM); undefined when none came */
  get exitCode(): number | undefined {
    return this.received ? 128 + (signalNumber(this.received) ?? 15) : undefined;
  }

  /**
   * The container runs: signals held so far, and those to come, go to it.
   * @param stop asks the container to stop (default: SIGTERM to systemd-nspawn)
   */
  forwardTo(child: Child, timeoutSec: number, stop: () => void = () => askToStop(child)): void {
    this.target = { child, timeoutSec, stop };
    for (; this.held > 0; this.held--) this.act();
  }

  private onSignal(sig: NodeJS.Signals): void {
    this.received ??= sig;
    if (this.over) return;
    if (this.target) { this.act(); return; }
    this.held++;
    debug(`got ${sig}: held until the container runs`);
  }

  private act(): void {
    const { child, timeoutSec, stop } = this.target!;
    if (this.stopping) { void killRunning(child); return; }
    this.stopping = true;
    debug(`got ${this.received}: stopping the container`);
    stop();
    // SIGKILL to the container's PID 1 then: its PID namespace dies with it, and nspawn exits
    this.timer = setTimeout(() => void killRunning(child), timeoutSec * 1000);
  }

  /** The container has ended: nothing more to stop (later signals are still kept from ending racker, until dispose). */
  ended(): void {
    if (this.timer) clearTimeout(this.timer);
    this.over = true;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const s of SIGNALS) process.off(s, this.handler);
  }
}
