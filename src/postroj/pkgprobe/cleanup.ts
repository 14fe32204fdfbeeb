import type { ProbeContainer } from './probe-container.js';

/**
 * Probe containers are detached (they outlive a killed postroj), so an
 * interrupted postroj removes the ones still up before it exits.
 */
export class SignalCleanup {
  private readonly live = new Set<ProbeContainer>();
  private readonly handler = (sig: NodeJS.Signals) => {
    process.stderr.write(`postroj: ${sig}: removing ${this.live.size} probe container(s)\n`);
    void Promise.allSettled([...this.live].map(c => c.remove())).then(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };

  constructor(private readonly keep = false) {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
  }

  add(c: ProbeContainer): void { if (!this.keep) this.live.add(c); }
  delete(c: ProbeContainer): void { this.live.delete(c); }

  dispose(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
  }
}
