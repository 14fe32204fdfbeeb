import { InvalidArgumentError, Option } from 'commander';
import { RackerError } from '../errors.js';
import { printable } from '../untrusted.js';

/**
 * Flags that several verbs share, declared once: the same flag is parsed and
 * validated the same way everywhere, and a bad value is refused by commander
 * (exit 125, one line naming the flag) before the verb does anything.
 */

function fail(hint: string): never {
  throw new InvalidArgumentError(hint);
}

/** true/false (also 1/0, yes/no), as podman's --tls-verify */
export function parseBool(value: string): boolean {
  const v = value.toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  return fail('use true or false');
}

/** Seconds, fractions allowed; `min` is exclusive for timeouts that must be > 0. */
export function seconds(opts: { allowZero: boolean }): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (!opts.allowZero && n === 0)) {
      fail(opts.allowZero ? 'a number of seconds, 0 or more' : 'a number of seconds greater than 0');
    }
    return n;
  };
}

/** A whole number of at least `min`. */
export function integer(min: number): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) fail(`a whole number, at least ${min}`);
    return Number(value);
  };
}

export const tlsVerifyOption = (description = 'verify TLS certificates (false also allows plain HTTP)') =>
  new Option('--tls-verify <bool>', description).argParser(parseBool);

export const retryOption = () => new Option('--retry <n>', 'retries for transient registry errors (default 3)').argParser(integer(0));
export const retryDelayOption = () => new Option('--retry-delay <ms>', 'first retry delay in milliseconds (default 500)').argParser(integer(0));

export const stopTimeoutOption = (flags = '--stop-timeout <seconds>', description = 'on Ctrl-C/SIGTERM, wait this long before killing') =>
  new Option(flags, description).argParser(seconds({ allowZero: true })).default(10);

export const bootTimeoutOption = () =>
  new Option('--boot-timeout <seconds>', 'how long systemd may take to start up').argParser(seconds({ allowZero: false })).default(60);

export const jobsOption = (description: string, fallback: number) =>
  new Option('--jobs <n>', description).argParser(integer(1)).default(fallback);

export const formatOption = (choices: string[], fallback: string, description?: string) =>
  new Option('--format <format>', description ?? choices.join(', ')).choices(choices).default(fallback);

/** `--label KEY[=VALUE]` values (volume and network create): no empty key, no control characters. */
export function parseLabels(items: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (!key || /[\x00-\x1f\x7f]/.test(item)) throw new RackerError(`invalid label '${printable(item.slice(0, 80))}'`, { hint: 'use --label key=value' });
    labels[key] = eq < 0 ? '' : item.slice(eq + 1);
  }
  return labels;
}
