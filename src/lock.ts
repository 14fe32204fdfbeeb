import { readFile, open, unlink, stat } from 'node:fs/promises';
import { RackerError, isErrno } from './errors.js';
import { debug } from './log.js';

/**
 * Cross-process lock files. The holder writes "pid starttime"; a waiter that
 * finds the holder dead (or the pid reused by another process) breaks the
 * lock, so a kill -9 never blocks the next command.
 */
export interface LockOptions {
  timeoutMs?: number;
  /** called once when we start waiting, so the user knows why nothing happens */
  onWait?: () => void;
}

const POLL_MS = 50;

/** Field 22 of /proc/PID/stat; undefined when the process is gone or a zombie. */
export async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // fields after the ")" that ends the command name: state is field 3, starttime field 22
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // a zombie (killed, not yet reaped by its parent) holds nothing
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

let ownStart: Promise<string | undefined> | undefined;
/** "pid starttime" of this process: names it uniquely even after its pid is reused. */
export function ownToken(): Promise<string> {
  ownStart ??= processStartTime(process.pid);
  return ownStart.then(s => `${process.pid} ${s ?? '0'}`);
}

/** True when the token names a process that is still alive. */
export async function holderAlive(token: string): Promise<boolean> {
  const [pidText, start] = token.trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const now = await processStartTime(pid);
  return now !== undefined && now === start;
}

async function tryCreate(file: string, token: string): Promise<boolean> {
  try {
    const fh = await open(file, 'wx', 0o600);
    await fh.writeFile(token);
    await fh.close();
    return true;
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return false;
    throw err;
  }
}

/** Remove a lock whose holder is dead; guarded by a short-lived breaker lock. */
async function breakIfStale(file: string, token: string): Promise<void> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  // a lock being written right now is empty for a moment: not stale
  if (content === '' || await holderAlive(content)) return;
  const breaker = `${file}.break`;
  if (!await tryCreate(breaker, token)) {
    const age = await stat(breaker).then(s => Date.now() - s.mtimeMs, () => 0);
    if (age > 10_000) await unlink(breaker).catch(() => undefined);
    return;
  }
  try {
    const again = await readFile(file, 'utf8').catch(() => '');
    if (again === content) {
      debug(`breaking stale lock ${file} (holder ${content.trim()} is gone)`);
      await unlink(file).catch(() => undefined);
    }
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
}

export async function acquireLock(file: string, opts: LockOptions = {}): Promise<() => Promise<void>> {
  const token = await ownToken();
  const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
  let waited = false;
  for (;;) {
    if (await tryCreate(file, token)) {
      return async () => { await unlink(file).catch(() => undefined); };
    }
    await breakIfStale(file, token);
    if (Date.now() > deadline) {
      throw new RackerError(`timed out waiting for lock ${file}`, { hint: 'another racker process holds it; remove the file if no racker is running' });
    }
    if (!waited) { waited = true; opts.onWait?.(); }
    await new Promise(r => setTimeout(r, POLL_MS));
  }
}

export async function withLock<T>(file: string, fn: () => Promise<T>, opts?: LockOptions): Promise<T> {
  const release = await acquireLock(file, opts);
  try {
    return await fn();
  } finally {
    await release();
  }
}
