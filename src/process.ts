import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { RackerError, isErrno } from './errors.js';
import { debug, displayArg } from './log.js';
import { cleanText } from './untrusted.js';

/** Which Debian package provides each external tool, for "not found" hints. */
export const PACKAGE_OF: Record<string, string> = {
  'systemd-nspawn': 'systemd-container',
  skopeo: 'skopeo',
  umoci: 'umoci',
  setfattr: 'attr',
  getfattr: 'attr',
  mount: 'mount',
  umount: 'mount',
  nsenter: 'util-linux',
  mmdebstrap: 'mmdebstrap',
  nft: 'nftables',
  ip: 'iproute2',
  iptables: 'iptables',
};

export interface RunOptions {
  /** what the command was for, used in the error message ("mount overlay") */
  purpose?: string;
  cwd?: string;
  /** added to our environment */
  env?: NodeJS.ProcessEnv;
  /** `env` is the whole environment, none of ours */
  replaceEnv?: boolean;
  /** milliseconds; then SIGTERM (SIGKILL 5 s later) and `timedOut` */
  timeout?: number;
  /** written to the command's stdin (otherwise stdin is /dev/null) */
  input?: string | Buffer;
  /** the command's stdin read from this file */
  inputFile?: string;
  /** 'buffer': stdout and stderr as bytes */
  encoding?: 'utf8' | 'buffer';
  /** also collect stdout and stderr interleaved, in `all` */
  all?: boolean;
  /** drop one trailing newline from the output (default true) */
  stripFinalNewline?: boolean;
  /** keep at most this many bytes of stdout, stderr and `all` each; the rest is read and dropped (a chatty command cannot fill our memory) */
  maxOutput?: number;
}

export interface RunResult<T extends string | Buffer = string> {
  command: string;
  /** undefined when killed by a signal or when it could not start */
  exitCode?: number;
  signal?: NodeJS.Signals;
  stdout: T;
  stderr: T;
  all?: T;
  timedOut: boolean;
  /** errno code when the command could not be started (ENOENT, EACCES) */
  code?: string;
  shortMessage?: string;
}

const KILL_AFTER_MS = 5000;

/** Helpers still running: ended with us, so an interrupted racker leaves none behind. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  running.add(child);
  child.once('close', () => running.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => { for (const c of running) c.kill('SIGTERM'); });
  }
}

/** Collected output, keeping at most `max` bytes (the first ones). */
class CappedBuffer {
  readonly chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max = Infinity) {}
  push(d: Buffer): void {
    const room = this.max - this.size;
    if (room <= 0) return;
    // a copy of the part kept: a subarray would pin the whole chunk in memory
    const kept = d.length <= room ? d : Buffer.from(d.subarray(0, room));
    this.chunks.push(kept);
    this.size += kept.length;
  }
}

function finish(chunks: Buffer[], encoding: 'utf8' | 'buffer', strip: boolean): string | Buffer {
  let buf = Buffer.concat(chunks);
  if (strip && buf.length && buf[buf.length - 1] === 0x0a) buf = buf.subarray(0, buf.length - (buf.length > 1 && buf[buf.length - 2] === 0x0d ? 2 : 1));
  return encoding === 'buffer' ? buf : buf.toString('utf8');
}

/**
 * Spawn and collect: node:child_process directly (execa costs ~60 ms of
 * module loading on every racker start, a quarter of a warm `racker run`).
 * Arguments are an array; there is never a shell.
 */
function collect(cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult<string | Buffer>> {
  return new Promise(resolve => {
    const stdin = opts.input !== undefined || opts.inputFile !== undefined ? 'pipe' : 'ignore';
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ? (opts.replaceEnv ? opts.env : { ...process.env, ...opts.env }) : process.env, stdio: [stdin, 'pipe', 'pipe'] });
    track(child);
    const out = new CappedBuffer(opts.maxOutput);
    const err = new CappedBuffer(opts.maxOutput);
    const all = new CappedBuffer(opts.maxOutput);
    let timedOut = false;
    let startError: NodeJS.ErrnoException | undefined;
    child.stdout!.on('data', (d: Buffer) => { out.push(d); if (opts.all) all.push(d); });
    child.stderr!.on('data', (d: Buffer) => { err.push(d); if (opts.all) all.push(d); });
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // the command may exit without reading everything
      if (opts.inputFile !== undefined) createReadStream(opts.inputFile).on('error', e => child.stdin!.destroy(e)).pipe(child.stdin);
      else child.stdin.end(opts.input);
    }
    let killer: NodeJS.Timeout | undefined;
    const timer = opts.timeout ? setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    }, opts.timeout) : undefined;
    child.on('error', e => { startError = e; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killer);
      const enc = opts.encoding ?? 'utf8';
      const strip = opts.stripFinalNewline ?? true;
      resolve({
        command: [cmd, ...args].join(' '),
        exitCode: startError ? undefined : code ?? undefined,
        signal: signal ?? undefined,
        stdout: finish(out.chunks, enc, strip), stderr: finish(err.chunks, enc, strip), all: opts.all ? finish(all.chunks, enc, strip) : undefined,
        timedOut, code: startError?.code,
        shortMessage: startError ? startError.message : timedOut ? `timed out after ${opts.timeout} ms` : signal ? `killed by ${signal}` : undefined,
      });
    });
  });
}

/**
 * The one door to child processes: logs the command under --debug and turns
 * failures into a RackerError naming the command, its exit code and stderr.
 * Arguments are always an array; nothing goes through a shell.
 */
export async function run(cmd: string, args: readonly string[], opts: RunOptions & { encoding: 'buffer' }): Promise<RunResult<Buffer>>;
export async function run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult<string>>;
export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult<string | Buffer>> {
  debug([cmd, ...args].map(displayArg).join(' '));
  const r = await collect(cmd, args, opts);
  if (r.exitCode !== 0) throw toRackerError(cmd, { ...r, stderr: String(r.stderr) }, opts.purpose);
  return r;
}

/** Like run(), but never throws for a non-zero exit: returns the result (throws only if it cannot start). */
export async function runAllowFail(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult<string>> {
  debug([cmd, ...args].map(displayArg).join(' '));
  const r = await collect(cmd, args, { ...opts, encoding: 'utf8' }) as RunResult<string>;
  if (r.code) throw toRackerError(cmd, r, opts.purpose);
  return r;
}

/** A line tagged as an error or warning by the tool: apt's and mmdebstrap's "E:"/"W:", "error: …", skopeo's level=fatal. */
const TAGGED = /^(?:[EWF]:|(?:error|fatal|warning)\b)|\blevel=(?:fatal|error)\b/i;
/** An untagged line that still sounds like the cause. */
const ERRORISH = /\b(?:errors?|fatal|fail(?:s|ed|ure)?|cannot|can't|could ?not|couldn't|unable|denied|refused|not found|no such|invalid|timed out)\b/i;

/**
 * The lines of a failed tool's stderr worth showing: the first few tagged as
 * errors (or, if none is, that sound like one) and the last line, in their
 * order, cleaned of control bytes and capped. A tool's last line is often only
 * "failed to run"; the cause is earlier.
 */
export function errorLines(stderr: string, maxLines = 5, maxWidth = 300): string[] {
  const lines = [...new Set(cleanText(stderr).split('\n').map(l => l.replace(/ {2,}/g, ' ').trim()).filter(Boolean))];
  if (lines.length === 0) return [];
  const last = lines.length - 1;
  const earlier = lines.slice(0, last);
  const tagged = earlier.filter(l => TAGGED.test(l));
  const picked = (tagged.length ? tagged : earlier.filter(l => ERRORISH.test(l) && !/^I:/.test(l))).slice(0, maxLines - 1);
  return [...picked, lines[last]].map(l => (l.length > maxWidth ? `${l.slice(0, maxWidth)}…` : l));
}

export function toRackerError(cmd: string, err: unknown, purpose?: string): RackerError {
  const e = err as { code?: string; exitCode?: number; stderr?: unknown; shortMessage?: string; cause?: unknown };
  if (e.code === 'ENOENT' || isErrno(e.cause, 'ENOENT')) {
    const pkg = PACKAGE_OF[cmd];
    return new RackerError(`${cmd} not found`, {
      hint: pkg ? `install it: apt-get install ${pkg}` : `install ${cmd} and make sure it is on PATH`,
      cause: err,
    });
  }
  // the first line says what failed and the tool's first complaint; the others follow indented
  const [first, ...more] = typeof e.stderr === 'string' ? errorLines(e.stderr) : [];
  const what = purpose ? `${purpose}: ` : '';
  const code = e.exitCode !== undefined ? `exit code ${e.exitCode}` : (e.shortMessage ?? 'failed');
  const message = [`${what}${cmd} returned ${code}${first ? `: ${first}` : ''}`, ...more.map(l => `  ${l}`)].join('\n');
  return new RackerError(message, { cause: err });
}

export interface AttachedChild {
  pid: number | undefined;
  /** set when output is 'pipe' */
  stdout?: import('node:stream').Readable;
  stderr?: import('node:stream').Readable;
  /** resolves with the exit code (128+n when killed by signal n) once its output is closed too */
  exit: Promise<number>;
  /** resolves the same as soon as the process itself has ended, even while others still hold its output open */
  exited: Promise<number>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Start a long-running child wired straight to our terminal or pipes
 * (`stdin: 'inherit'` for -i), or with its output going to a file descriptor
 * (a boot log). Never throws for its exit code.
 */
export function spawnAttached(cmd: string, args: readonly string[], stdin: 'inherit' | 'ignore', output: 'inherit' | 'pipe' | number = 'inherit',
  opts: { env?: NodeJS.ProcessEnv; extendEnv?: boolean } = {}): AttachedChild {
  debug([cmd, ...args].map(displayArg).join(' '));
  const env = opts.extendEnv === false ? opts.env : opts.env ? { ...process.env, ...opts.env } : process.env;
  const child = spawn(cmd, args, { env, stdio: [stdin, output, output] });
  const exit = new Promise<number>((resolve, reject) => {
    let startError: NodeJS.ErrnoException | undefined;
    child.on('error', e => { startError = e; });
    child.on('close', (code, signal) => {
      if (startError) reject(toRackerError(cmd, { code: startError.code, shortMessage: startError.message }));
      else if (code !== null) resolve(code);
      else resolve(128 + (signalNumber(signal ?? 'SIGKILL') ?? 1));
    });
  });
  const exited = new Promise<number>(resolve => {
    const done = (code: number | null, signal: NodeJS.Signals | null) => resolve(code ?? 128 + (signalNumber(signal ?? 'SIGKILL') ?? 1));
    child.once('exit', done);
    child.once('close', done);
  });
  return {
    pid: child.pid, exit, exited, kill: sig => { child.kill(sig); },
    stdout: output === 'pipe' ? child.stdout ?? undefined : undefined,
    stderr: output === 'pipe' ? child.stderr ?? undefined : undefined,
  };
}

import { constants as osConstants } from 'node:os';
export function signalNumber(sig: string): number | undefined {
  return (osConstants.signals as Record<string, number>)[sig];
}

/**
 * The argv to start one of racker's own Node scripts (the detached supervisor,
 * the network probe). "--" ends Node's options: Node 20 reads `--env-file` even
 * after the script name, so an argument meant for a container could otherwise
 * make Node load a file into racker's own environment (NODE_OPTIONS=--require …).
 */
export function nodeScript(script: string, args: readonly string[], nodeFlags: readonly string[] = []): { cmd: string; args: string[] } {
  return { cmd: process.execPath, args: [...nodeFlags, '--', script, ...args] };
}

/**
 * A /proc file, whole. Node 18's fs/promises readFile (Debian 12's nodejs) stops at the first short
 * read, and the kernel hands out a file such as /proc/self/mountinfo one page per read: with more
 * than about 4 KB of mounts, the rest was silently missing. This reads until the end of the file.
 */
export async function readProcFile(file: string): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const chunks: Buffer[] = [];
    for (;;) {
      const buf = Buffer.alloc(64 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return Buffer.concat(chunks).toString('utf8');
      chunks.push(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
}
