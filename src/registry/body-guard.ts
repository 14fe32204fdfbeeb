import { DeadlineError, HttpError, TimeoutError, hostOf, networkError } from './http-errors.js';

/**
 * The deadlines of one answer's body (docs/pull.md): an idle timer, an overall
 * deadline or a minimum rate, counted only while racker waits for the server.
 */

/** How long the server may keep us waiting for one answer. */
export interface Deadline {
  ms: number;
  minBytesPerSec?: number;
  /** time already spent waiting for the headers */
  waitedMs: number;
  what: string;
}

/** The deadline's verdict once `waitedMs` ran out with `received` bytes in. */
function deadlineError(d: Deadline, host: string, received: number, waitedMs: number): DeadlineError {
  const secs = (waitedMs / 1000).toFixed(1);
  if (d.minBytesPerSec) {
    return new DeadlineError(`${host} sends ${d.what} too slowly: ${received} bytes in ${secs} s, below the minimum of ${d.minBytesPerSec / 1024} KiB/s`,
      'accept slower registries with --registry-min-rate KIB_PER_S or RACKER_REGISTRY_MIN_RATE');
  }
  return new DeadlineError(`${host} took more than ${d.ms / 1000} s to send ${d.what} (${received} bytes so far)`,
    'wait longer with --registry-timeout SECONDS or RACKER_REGISTRY_TIMEOUT');
}

/**
 * Pass the body through, failing it when the network goes quiet for too long
 * or the whole answer takes longer than its deadline (both clocks only run
 * while the reader waits, so a slow consumer does not count against the
 * server) and turning socket errors into RackerErrors that name the host.
 */
export function guardBody(body: ReadableStream<Uint8Array>, ctl: AbortController, idleMs: number, deadline: Deadline, url: string): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const host = hostOf(url);
  let timer: NodeJS.Timeout | undefined;
  let received = 0;
  let waited = deadline.waitedMs;
  return new ReadableStream<Uint8Array>({
    async pull(out) {
      const budget = deadline.ms + (deadline.minBytesPerSec ? received * 1000 / deadline.minBytesPerSec : 0);
      const left = Math.max(0, budget - waited);
      const started = Date.now();
      timer = left < idleMs
        ? setTimeout(() => ctl.abort(deadlineError(deadline, host, received, waited + Date.now() - started)), left)
        : setTimeout(() => ctl.abort(new TimeoutError(`no data from ${host} for ${idleMs / 1000} s`)), idleMs);
      timer.unref();
      try {
        const { done, value } = await reader.read();
        clearTimeout(timer);
        waited += Date.now() - started;
        if (done) {
          out.close();
        } else {
          received += value.length;
          out.enqueue(value);
        }
      } catch (err) {
        clearTimeout(timer);
        const reason = ctl.signal.aborted ? ctl.signal.reason : err;
        out.error(reason instanceof DeadlineError
          ? new HttpError(reason.message, { url, code: reason.code, cause: reason, hint: reason.hint })
          : reason instanceof TimeoutError
            ? new HttpError(`reading from ${host} timed out: ${reason.message}`, { url, code: 'ETIMEDOUT', cause: reason })
            : networkError(url, reason, 1));
      }
    },
    cancel(reason) {
      clearTimeout(timer);
      return reader.cancel(reason);
    },
  });
}
