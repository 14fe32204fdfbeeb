/** What an interrupted postroj removes: a probe container and its network, as far as they exist. */
export interface Removable { readonly name: string; remove(): Promise<void> }

/**
 * Probe containers are detached (they outlive a killed postroj), so an
 * interrupted postroj removes the ones still up, and their networks, before it
 * exits; also one that is still booting.
 */
export class SignalCleanup {
  private readonly live = new Set<Removable>();
  private readonly handler = (sig: NodeJS.Signals) => {
    process.stderr.write(`postroj: ${sig}: removing ${this.live.size} probe container(s) and their networks\n`);
    void Promise.allSettled([...this.live].map(c => c.remove())).then(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };

  constructor(private readonly keep = false) {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
  }

  add(c: Removable): void { if (!this.keep) this.live.add(c); }
  delete(c: Removable): void { this.live.delete(c); }

  dispose(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
  }
}
