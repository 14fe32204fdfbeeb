import path from 'node:path';
import { RackerError } from './errors.js';

/** Settings shared by every command: defaults < environment < flags. */
export interface Settings {
  /** store root (images, layers, containers) */
  root: string;
  verbose: boolean;
  debug: boolean;
  /** longest wait for a registry's manifest or token answer; undefined: the built-in default */
  registryTimeoutMs?: number;
  /** slowest average rate (bytes/s) a blob may arrive at; undefined: the built-in default */
  registryMinRate?: number;
}

export const DEFAULT_ROOT = '/var/lib/racker';

export interface GlobalFlags {
  root?: string;
  verbose?: boolean;
  debug?: boolean;
  registryTimeout?: string;
  registryMinRate?: string;
}

/** A positive number (decimals allowed) from a flag or variable, or a clear refusal. */
function positive(value: string | undefined, flag: string, variable: string, unit: string, example: number): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  if (!(n > 0)) {
    throw new RackerError(`invalid ${flag} / ${variable} value '${value.slice(0, 40)}': expected a number of ${unit} greater than 0`,
      { hint: `for example ${flag} ${example}` });
  }
  return n;
}

export function resolveSettings(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): Settings {
  const root = flags.root ?? env.RACKER_ROOT ?? DEFAULT_ROOT;
  const timeout = positive(flags.registryTimeout ?? env.RACKER_REGISTRY_TIMEOUT, '--registry-timeout', 'RACKER_REGISTRY_TIMEOUT', 'seconds', 120);
  const rate = positive(flags.registryMinRate ?? env.RACKER_REGISTRY_MIN_RATE, '--registry-min-rate', 'RACKER_REGISTRY_MIN_RATE', 'KiB/s', 50);
  return {
    root: path.resolve(root), verbose: !!flags.verbose, debug: !!flags.debug,
    registryTimeoutMs: timeout === undefined ? undefined : timeout * 1000,
    registryMinRate: rate === undefined ? undefined : rate * 1024,
  };
}
