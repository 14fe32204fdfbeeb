import { debug } from '../log.js';
import { askToStop, killRunning } from './container-processes.js';

/**
 * Ctrl-C / SIGTERM / SIGHUP to racker: ask the container to stop (nspawn passes
 * SIGTERM to its PID 1), kill it after the timeout, or at once on a second signal.
 */
export class SignalForwarder {
  received: NodeJS.Signals | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly handler = (sig: NodeJS.Signals) => this.onSignal(sig);

  /**
   * @param stop asks the container to stop (default: SIGTERM to systemd-nspawn)
   */
  constructor(private readonly child: { pid: number | undefined; kill(s: NodeJS.Signals): void }, private readonly timeoutSec: number,
    private readonly stop: () => void = () => askToStop(child)) {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, this.handler);
  }

  private onSignal(sig: NodeJS.Signals): void {
    if (this.received) { void this.killNow(); return; }
    this.received = sig;
    debug(`got ${sig}: stopping the container`);
    this.stop();
    this.timer = setTimeout(() => void this.killNow(), this.timeoutSec * 1000);
  }

  /** SIGKILL the container's PID 1: its PID namespace dies with it, and nspawn exits. */
  private async killNow(): Promise<void> {
    await killRunning(this.child);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, this.handler);
  }
}

