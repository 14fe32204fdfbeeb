/**
 * The detached supervisor of a store root (like podman's conmon, but one for
 * all the root's detached containers): started on demand by startDetached in
 * its own session, it listens on ROOT/supervisor/sock (mode 0600, in a 0700
 * directory) and exits as soon as it supervises nothing, so nothing runs
 * without containers. A request is one line, the full id of a container in
 * the store; nothing else is read. It answers "ok" at once, then "started ID"
 * or "error JSON" once the container runs (booted: once systemd is up), and
 * runs it from its stored spec: its log, its health check, its exit. Every
 * container's supervision is independent: one failing never ends another.
 * Arguments: --root DIR [--debug]. It reports "listening" on fd 3.
 */
import { createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir } from 'node:fs/promises';
import net from 'node:net';
import { RackerError } from '../errors.js';
import { debug, logLevel } from '../log.js';
import { openRoot, runnerFor } from './runners.js';
import { HealthMonitor } from './health.js';
import { supervisorSocket } from './supervisor.js';

/** a request is a 64-digit id and a newline; a client that sends nothing for this long is dropped */
const REQUEST_MS = 5000;
/** the CLI that started it connects at once; one that never does leaves nothing running for long */
const FIRST_REQUEST_MS = 30_000;

const argv = process.argv.slice(2);
const rootAt = argv.indexOf('--root');
const root = rootAt >= 0 ? argv[rootAt + 1] : undefined;
logLevel.debug = argv.includes('--debug');

let active = 0;
let closing = false;
/** connections whose request is not yet taken: dropped when the supervisor closes, so their clients ask a new one */
const waiting = new Set<net.Socket>();

/** Run one container to its end; `reply` gets "started ID" or the error that kept it from starting. */
async function supervise(id: string, reply: (line: string) => void): Promise<void> {
  const deps = openRoot(root!);
  const rec = await deps.containers.read(id);
  if (!rec) throw new RackerError(`No such container: ${id}`);
  const image = await deps.images.readImage(rec.image);
  if (!image) throw new RackerError(`image ${rec.imageName} of container ${rec.name} is no longer in the store`, { hint: `pull it again (racker pull ${rec.imageName}) or remove the container` });
  // the health check (--health-cmd or the image's) runs while the container does
  let health: HealthMonitor | undefined;
  await runnerFor(rec, deps).run(rec, image, { stdin: false, output: 'log' }, {
    onStarted: (r) => {
      reply(`started ${r.id}\n`);
      health = new HealthMonitor(deps.containers, r, image);
      void health.start();
    },
    beforeExit: async () => { await health?.stop(); },
  });
}

function errorLine(err: unknown): string {
  const e = err as { message?: string; hint?: string; exitCode?: number };
  return `error ${JSON.stringify({ message: e.message ?? String(err), hint: e.hint, exitCode: e.exitCode })}\n`;
}

function onConnection(sock: net.Socket): void {
  sock.on('error', () => undefined);
  if (closing) { sock.destroy(); return; }
  waiting.add(sock);
  sock.setTimeout(REQUEST_MS, () => sock.destroy());
  let text = '';
  let gone = false;
  sock.setEncoding('latin1');
  // a client that gave up (it waited for us while we were stopped) has closed its end: its request is not run
  sock.on('end', () => { gone = true; });
  const onData = (d: string) => {
    text += d;
    const nl = text.indexOf('\n');
    if (nl < 0 && text.length <= 64) return;
    sock.off('data', onData);
    // the end of a closed connection is seen once its data is read
    setImmediate(() => take(sock, nl < 0 ? '' : text.slice(0, nl), gone));
  };
  sock.on('data', onData);
  sock.on('close', () => waiting.delete(sock));
}

/** Run the request of a client that still waits for the answer. */
function take(sock: net.Socket, id: string, gone: boolean): void {
  sock.setTimeout(0);
  waiting.delete(sock);
  if (gone || closing) { sock.destroy(); return; }
  if (!/^[a-f0-9]{64}$/.test(id)) { sock.end(errorLine(new RackerError('bad request to the container supervisor'))); return; }
  sock.write('ok\n');
  let replied = false;
  const reply = (line: string) => { if (!replied) { replied = true; sock.end(line); } };
  active++;
  clearTimeout(firstRequest);
  supervise(id, reply).catch(err => {
    debug(`container ${id}: ${(err as Error).message}`);
    reply(errorLine(err));
  }).finally(() => {
    reply(errorLine(new RackerError('the container ended before it was up')));
    active--;
    if (active === 0) close();
  });
}

/** Supervising nothing: stop listening (the socket file goes with it) and exit. */
function close(): void {
  if (closing) return;
  closing = true;
  for (const s of waiting) s.destroy();
  server.close(() => process.exit(0));
  // a client that never closes its end of a finished request does not keep us
  setTimeout(() => process.exit(0), 2000).unref();
}

async function listen(): Promise<void> {
  if (!root) throw new RackerError('usage: supervisor-main --root DIR [--debug]');
  const file = supervisorSocket(root);
  await mkdir(openRoot(root).containers.supervisorDir, { recursive: true, mode: 0o700 });
  // whoever started us removed a stale socket under the lock; anything else there is not ours to replace
  if (await lstat(file).then(() => true, () => false)) throw new RackerError(`${file} already exists`, { hint: 'another racker supervisor serves this store' });
  const mask = process.umask(0o077);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(file, () => { server.off('error', reject); resolve(); });
    });
  } finally {
    process.umask(mask);
  }
  await chmod(file, 0o600);
}

// detached in its own session: terminal signals are not ours to act on
process.on('SIGHUP', () => undefined);
// each running container adds its own stop handlers
process.setMaxListeners(0);
// a failure in one container's supervision must not end the others'
process.on('uncaughtException', err => debug(`supervisor: ${err.stack ?? err.message}`));
process.on('unhandledRejection', err => debug(`supervisor: ${(err as Error)?.stack ?? String(err)}`));

const server = net.createServer(onConnection);
const firstRequest = setTimeout(() => { if (active === 0) close(); }, FIRST_REQUEST_MS);
const report = createWriteStream('', { fd: 3 });
try {
  await listen();
  report.end('listening\n');
} catch (err) {
  report.end(errorLine(err), () => process.exit((err as RackerError).exitCode ?? 125));
}
