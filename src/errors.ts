/** Exit codes as docker uses them. */
export const EXIT = {
  /** racker's own failure (bad flag, pull failed, mount failed, …) */
  RACKER: 125,
  /** the command was found but could not be invoked */
  CANNOT_INVOKE: 126,
  /** the command was not found */
  NOT_FOUND: 127,
} as const;

/**
 * The one error type racker raises on purpose. Only the entry point prints it:
 * one line with the message, one with the hint, then exits with `exitCode`.
 */
export class RackerError extends Error {
  readonly exitCode: number;
  readonly hint?: string;

  constructor(message: string, opts: { exitCode?: number; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RackerError';
    this.exitCode = opts.exitCode ?? EXIT.RACKER;
    this.hint = opts.hint;
  }
}

export function isErrno(err: unknown, code?: string): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string'
    && (code === undefined || (err as NodeJS.ErrnoException).code === code);
}
