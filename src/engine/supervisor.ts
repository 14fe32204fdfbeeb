import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RackerError } from '../errors.js';
import { debug } from '../log.js';
import { nodeScript } from '../process.js';
import { systemdIsPid1 } from '../runtime/host.js';

/**
 * racker has no daemon: a detached container is supervised by a racker
 * process of its own (like conmon), started in its own session so it outlives
 * the CLI. It reports "started ID" or "error JSON" on fd 3 once the container
 * runs (booted: once systemd is up), and the CLI returns then.
 */
export async function startDetached(root: string, containerId: string, debugFlag: boolean): Promise<string> {
  // the supervisor's own small entry: it reads the container's stored spec, nothing else is handed over
  const entry = fileURLToPath(new URL('./supervisor-main.js', import.meta.url));
  let self = nodeScript(entry, ['--root', root, ...(debugFlag ? ['--debug'] : []), containerId]);
  if (systemdIsPid1()) {
    // a scope of its own: otherwise the supervisor lives in the caller's cgroup and systemd ends it
    // with the caller's unit or session (a command run by systemd-run, a logout)
    self = { cmd: 'systemd-run', args: ['--scope', '--quiet', '--collect', `--unit=racker-supervise-${containerId.slice(0, 12)}-${process.pid}`, '--', self.cmd, ...self.args] };
  }
  debug(`supervisor: ${self.cmd} ${self.args.join(' ')}`);
  const child = spawn(self.cmd, self.args, { detached: true, stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  const report = child.stdio[3] as NodeJS.ReadableStream;
  let text = '';
  const line = await new Promise<string>((resolve) => {
    report.setEncoding('utf8');
    report.on('data', (d: string) => {
      text += d;
      const nl = text.indexOf('\n');
      if (nl >= 0) resolve(text.slice(0, nl));
    });
    report.on('end', () => resolve(text));
    child.on('exit', () => resolve(text.split('\n')[0]));
  });
  child.unref();
  (report as unknown as { destroy(): void }).destroy();
  if (line.startsWith('started ')) return line.slice(8).trim();
  if (line.startsWith('error ')) {
    const e = JSON.parse(line.slice(6)) as { message: string; hint?: string; exitCode?: number };
    throw new RackerError(e.message, { hint: e.hint, exitCode: e.exitCode });
  }
  throw new RackerError('the container supervisor exited before the container started', { hint: 'run again with --debug' });
}

/** The supervisor's side of the fd-3 report. */
export class SupervisorReport {
  private out = createWriteStream('', { fd: 3 });
  private done = false;

  started(id: string): void { this.send(`started ${id}\n`); }

  failed(err: unknown): void {
    const e = err as { message?: string; hint?: string; exitCode?: number };
    this.send(`error ${JSON.stringify({ message: e.message ?? String(err), hint: e.hint, exitCode: e.exitCode })}\n`);
  }

  private send(line: string): void {
    if (this.done) return;
    this.done = true;
    this.out.end(line);
  }
}
