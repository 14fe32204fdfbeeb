import { spawn } from 'node:child_process';
import { lstat, unlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RackerError, isErrno } from '../errors.js';
import { withLock } from '../lock.js';
import { debug } from '../log.js';
import { nodeScript } from '../process.js';
import { systemdIsPid1 } from '../runtime/host.js';
import { StoreLayout } from '../store/layout.js';

/** sun_path holds 108 bytes with the final NUL */
const SOCKET_PATH_MAX = 107;
/** a start that finds the supervisor closing (it had just ended its last container) asks a new one */
const ATTEMPTS = 5;
/** the supervisor says "ok" as soon as it reads the request; one that does not within this is stuck */
const ANSWER_MS = 10_000;

/**
 * The supervisor mostly waits: a small young generation, one V8 helper thread
 * and no optimizing compiler took its RSS with 20 booted containers from 58 to
 * 49 MiB (docs/performance.md). All three exist in Node 18.
 */
const SUPERVISOR_NODE_FLAGS = ['--max-semi-space-size=1', '--v8-pool-size=1', '--lite-mode'];

/** The shared supervisor's socket, ROOT/supervisor/sock. */
export function supervisorSocket(root: string): string {
  const file = path.join(new StoreLayout(path.resolve(root)).supervisorDir, 'sock');
  if (Buffer.byteLength(file) > SOCKET_PATH_MAX) {
    throw new RackerError(`the store root ${root} is too long a path for the supervisor's socket (${file}: at most ${SOCKET_PATH_MAX} bytes)`, { hint: 'use a shorter --root' });
  }
  return file;
}

/**
 * racker has no daemon: the detached containers of a store root are
 * supervised by one racker process (engine/supervisor-main.ts) that the first
 * detached start starts, in its own session so it outlives the CLI, and that
 * exits when its last container ends. This asks it to run the container and
 * returns once it runs (booted: once systemd is up).
 */
export async function startDetached(root: string, containerId: string, debugFlag: boolean): Promise<string> {
  const file = supervisorSocket(root);
  for (let attempt = 1; ; attempt++) {
    const sock = await connect(file)
      ?? await withLock(new StoreLayout(root).lock('supervisor'), async () => await connect(file) ?? await startSupervisor(root, file, debugFlag));
    const { taken, line, stuck } = await ask(sock, containerId);
    if (stuck) {
      throw new RackerError(`the container supervisor at ${file} does not answer`, {
        hint: 'if it is stuck (pgrep -af supervisor-main.js), kill it: its containers are then shown as exited and can be started again',
      });
    }
    if (line.startsWith('started ')) return line.slice(8).trim();
    if (line.startsWith('error ')) {
      const e = JSON.parse(line.slice(6)) as { message: string; hint?: string; exitCode?: number };
      throw new RackerError(e.message, { hint: e.hint, exitCode: e.exitCode });
    }
    if (taken || attempt >= ATTEMPTS) throw new RackerError('the container supervisor exited before the container started', { hint: 'run again with --debug' });
    debug('supervisor: it closed before taking the request; asking again');
  }
}

/** A connection to a listening supervisor; undefined when none listens there. */
function connect(file: string): Promise<net.Socket | undefined> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(file);
    sock.once('connect', () => { sock.off('error', onError); resolve(sock); });
    const onError = (err: Error) => {
      sock.destroy();
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ECONNREFUSED')) resolve(undefined);
      else reject(new RackerError(`cannot reach the container supervisor at ${file}: ${err.message}`));
    };
    sock.once('error', onError);
  });
}

/** Send the id; `taken` once the supervisor said "ok", `line` its answer (empty if it closed without one). */
function ask(sock: net.Socket, id: string): Promise<{ taken: boolean; line: string; stuck?: boolean }> {
  return new Promise((resolve) => {
    let text = '';
    let taken = false;
    let stuck = false;
    const timer = setTimeout(() => { stuck = true; sock.destroy(); }, ANSWER_MS);
    sock.setEncoding('utf8');
    sock.on('error', () => undefined);
    sock.on('data', (d: string) => {
      text += d;
      if (!taken && text.startsWith('ok\n')) { taken = true; text = text.slice(3); clearTimeout(timer); }
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ taken, stuck, line: text.includes('\n') ? text.split('\n')[0] : '' });
    });
    // not end(): the supervisor's answer comes later, on the same connection
    sock.write(`${id}\n`);
  });
}

/** Under the lock: remove a dead supervisor's socket, start a new one, and connect once it listens. */
async function startSupervisor(root: string, file: string, debugFlag: boolean): Promise<net.Socket> {
  const st = await lstat(file).catch(err => { if (isErrno(err, 'ENOENT')) return undefined; throw err; });
  if (st && !st.isSocket()) throw new RackerError(`${file} is not a socket`, { hint: 'remove it; racker makes it' });
  if (st) await unlink(file).catch(() => undefined);
  // the supervisor's own small entry: a request names a container of the store, nothing else is handed over
  const entry = fileURLToPath(new URL('./supervisor-main.js', import.meta.url));
  let self = nodeScript(entry, ['--root', root, ...(debugFlag ? ['--debug'] : [])], SUPERVISOR_NODE_FLAGS);
  if (systemdIsPid1()) {
    // a scope of its own: otherwise the supervisor lives in the caller's cgroup and systemd ends it
    // with the caller's unit or session (a command run by systemd-run, a logout)
    self = { cmd: 'systemd-run', args: ['--scope', '--quiet', '--collect', `--unit=racker-supervisor-${process.pid}-${Date.now()}`, '--', self.cmd, ...self.args] };
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
    child.on('error', () => resolve(''));
    child.on('exit', () => resolve(text.split('\n')[0]));
  });
  child.unref();
  (report as unknown as { destroy(): void }).destroy();
  if (line.startsWith('error ')) {
    const e = JSON.parse(line.slice(6)) as { message: string; hint?: string; exitCode?: number };
    throw new RackerError(e.message, { hint: e.hint, exitCode: e.exitCode });
  }
  const sock = line === 'listening' ? await connect(file) : undefined;
  if (!sock) throw new RackerError('the container supervisor did not start', { hint: 'run again with --debug' });
  return sock;
}
