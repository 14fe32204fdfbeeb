/** What `racker doctor` says about one part of the host. */
export type Status = 'ok' | 'warn' | 'fail';

export interface Verdict {
  /** a stable id, such as `overlayfs` or `tool:skopeo` */
  name: string;
  status: Status;
  /** what was found */
  detail: string;
  /** for warn and fail: the command (or step) that fixes it */
  fix?: string;
}

/** One check: gathers facts and turns them into a verdict. */
export interface Check {
  name: string;
  run(): Promise<Verdict>;
  /**
   * The check bounds every command it runs and cleans up after itself (the
   * overlay probe): it is awaited to the end, never abandoned by the runner's
   * timeout, so nothing it mounted outlives racker.
   */
  ownTimeouts?: boolean;
}

export const ok = (name: string, detail: string): Verdict => ({ name, status: 'ok', detail });
export const warn = (name: string, detail: string, fix: string): Verdict => ({ name, status: 'warn', detail, fix });
export const fail = (name: string, detail: string, fix: string): Verdict => ({ name, status: 'fail', detail, fix });

/** The worst status among the verdicts: fail beats warn beats ok. */
export function overall(verdicts: readonly Verdict[]): Status {
  if (verdicts.some(v => v.status === 'fail')) return 'fail';
  return verdicts.some(v => v.status === 'warn') ? 'warn' : 'ok';
}

/** Each external command a check runs gets this long (milliseconds). */
export const COMMAND_TIMEOUT_MS = 1000;
/** A check that has not answered by then is reported as a warning. */
export const CHECK_TIMEOUT_MS = 1500;

/** Run all checks at once; a check that throws or hangs becomes a warning, in the checks' order. */
export async function runChecks(checks: readonly Check[], timeoutMs = CHECK_TIMEOUT_MS): Promise<Verdict[]> {
  return Promise.all(checks.map(async (c): Promise<Verdict> => {
    const attempt = c.run().catch((err: unknown) =>
      warn(c.name, `the check itself failed: ${(err as Error)?.message ?? String(err)}`, 'run racker doctor --debug and report it'));
    if (c.ownTimeouts) return attempt;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Verdict>(resolve => {
      timer = setTimeout(() => resolve(warn(c.name, `no answer within ${timeoutMs} ms`, 'run racker doctor --debug to see which command hangs')), timeoutMs);
    });
    try {
      return await Promise.race([attempt, late]);
    } finally {
      clearTimeout(timer);
    }
  }));
}
