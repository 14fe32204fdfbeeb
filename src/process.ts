import { execa, type Options, type Result } from 'execa';
import { RackerError, isErrno } from './errors.js';
import { debug, displayArg } from './log.js';

/** Which Debian package provides each external tool, for "not found" hints. */
const PACKAGE_OF: Record<string, string> = {
  'systemd-nspawn': 'systemd-container',
  skopeo: 'skopeo',
  umoci: 'umoci',
  setfattr: 'attr',
  getfattr: 'attr',
  mount: 'mount',
  umount: 'mount',
  nsenter: 'util-linux',
  mmdebstrap: 'mmdebstrap',
};

export interface RunOptions extends Options {
  /** what the command was for, used in the error message ("mount overlay") */
  purpose?: string;
}

/**
 * The one door to child processes: logs the command under --debug and turns
 * failures into a RackerError naming the command, its exit code and stderr.
 * Arguments are always an array; nothing goes through a shell.
 */
export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<Result> {
  const { purpose, ...execaOpts } = opts;
  debug([cmd, ...args].map(displayArg).join(' '));
  try {
    return await execa(cmd, args, { stdin: 'ignore', ...execaOpts }) as Result;
  } catch (err) {
    throw toRackerError(cmd, err, purpose);
  }
}

/** Like run(), but never throws for a non-zero exit: returns the result. */
export async function runAllowFail(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<Result> {
  const { purpose, ...execaOpts } = opts;
  debug([cmd, ...args].map(displayArg).join(' '));
  try {
    return await execa(cmd, args, { stdin: 'ignore', reject: false, ...execaOpts }) as Result;
  } catch (err) {
    throw toRackerError(cmd, err, purpose);
  }
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
  const stderr = typeof e.stderr === 'string' ? e.stderr.trim().split('\n').filter(Boolean).pop() : undefined;
  const what = purpose ? `${purpose}: ` : '';
  const code = e.exitCode !== undefined ? `exit code ${e.exitCode}` : (e.shortMessage ?? 'failed');
  return new RackerError(`${what}${cmd} returned ${code}${stderr ? `: ${stderr}` : ''}`, { cause: err });
}

export interface AttachedChild {
  pid: number | undefined;
  /** set when output is 'pipe' */
  stdout?: import('node:stream').Readable;
  stderr?: import('node:stream').Readable;
  /** resolves with the exit code (128+n when killed by signal n) */
  exit: Promise<number>;
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
  const child = execa(cmd, args, { stdin, stdout: output as 'inherit', stderr: output as 'inherit', reject: false, buffer: false, ...opts });
  const exit = (async () => {
    const r = await child;
    if ((r as { failed?: boolean; exitCode?: number }).exitCode === undefined && (r as { code?: string }).code === 'ENOENT') {
      throw toRackerError(cmd, r);
    }
    if (r.exitCode !== undefined) return r.exitCode;
    if (r.signal) return 128 + (signalNumber(r.signal) ?? 1);
    throw toRackerError(cmd, r);
  })();
  return {
    pid: child.pid, exit, kill: sig => { child.kill(sig); },
    stdout: output === 'pipe' ? child.stdout ?? undefined : undefined,
    stderr: output === 'pipe' ? child.stderr ?? undefined : undefined,
  };
}

import { constants as osConstants } from 'node:os';
export function signalNumber(sig: string): number | undefined {
  return (osConstants.signals as Record<string, number>)[sig];
}
