import { FileRefused, readBoundedFileSync } from '../bounded-file.js';
import { RackerError } from '../errors.js';

/**
 * The names systemd-nspawn (--setenv) and systemd-run (-E) accept: letters,
 * digits and '_', not starting with a digit. docker passes any name through;
 * racker cannot, so a name outside this rule is refused up front rather than
 * reported as the command's exit code 1 by nspawn.
 */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isValidEnvName(name: string): boolean {
  return ENV_NAME.test(name);
}

/** The kernel's limit for one argument (MAX_ARG_STRLEN), less `--setenv=`: one variable's K=V. */
export const ENV_VAR_MAX_BYTES = 128 * 1024 - 16;
/** All variables together, well inside the kernel's ARG_MAX for nspawn's whole command line. */
export const ENV_TOTAL_MAX_BYTES = 1024 * 1024;

function assignmentBytes(key: string, value: string): number {
  return Buffer.byteLength(key) + 1 + Buffer.byteLength(value);
}

/** Refuse an environment nspawn could not even be started with (spawn E2BIG). */
export function checkEnvSize(env: [string, string][]): void {
  let total = 0;
  for (const [k, v] of env) total += assignmentBytes(k, v);
  if (total > ENV_TOTAL_MAX_BYTES) {
    throw new RackerError(`the container's environment is too large (${total} bytes, at most ${ENV_TOTAL_MAX_BYTES})`, { hint: 'pass large data in a file with -v instead of in variables' });
  }
}

/** Parse `-e` values as docker does: K=V sets, a bare K copies the host's value (or nothing). */
export function parseEnvAssignments(values: string[], hostEnv: NodeJS.ProcessEnv, origin = '-e'): [string, string][] {
  const out: [string, string][] = [];
  for (const v of values) {
    if (v.includes('\0')) throw new RackerError(`invalid ${origin} value: contains a NUL byte`);
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    if (key === '') throw new RackerError(`invalid ${origin} value '${v.slice(0, 80)}': no variable name`, { hint: 'use KEY=VALUE, or KEY to copy it from your environment' });
    if (!isValidEnvName(key)) {
      throw new RackerError(`invalid ${origin} variable name ${JSON.stringify(key.slice(0, 80))}`, { hint: 'names are letters, digits and _ and do not start with a digit (systemd-nspawn refuses others)' });
    }
    const value = eq >= 0 ? v.slice(eq + 1) : hostEnv[key];
    if (value === undefined) continue;
    if (assignmentBytes(key, value) > ENV_VAR_MAX_BYTES) {
      throw new RackerError(`${origin} variable ${key} is too long (${assignmentBytes(key, value)} bytes, at most ${ENV_VAR_MAX_BYTES})`, { hint: 'pass large data in a file with -v instead of in a variable' });
    }
    out.push([key, value]);
  }
  return out;
}

/** An env file larger than this is refused (docker has no limit; nobody writes 1 MiB of variables). */
export const ENV_FILE_MAX_BYTES = 1024 * 1024;

/**
 * Read an env file once: a regular file or a pipe (`--env-file <(…)`), at most
 * ENV_FILE_MAX_BYTES. Devices, directories and sockets are refused before a byte is read.
 */
export function readEnvFileText(file: string): string {
  try {
    return readBoundedFileSync(file, ENV_FILE_MAX_BYTES);
  } catch (err) {
    const what = err instanceof FileRefused ? err.message : (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new RackerError(`cannot read env file ${file}: ${what}`, { hint: 'give a regular file (or a pipe) of KEY=VALUE lines', cause: err });
  }
}

/** docker's --env-file: one KEY=VALUE per line, # comments and blank lines ignored, no quoting. */
export async function readEnvFile(file: string, hostEnv: NodeJS.ProcessEnv): Promise<[string, string][]> {
  const text = readEnvFileText(file);
  const lines = text.split(/\r?\n/).map(l => l.replace(/^\s+/, '')).filter(l => l !== '' && !l.startsWith('#'));
  return parseEnvAssignments(lines, hostEnv, `--env-file ${file}`);
}

/** Merge in order; a later key replaces an earlier one but keeps its first position. */
export function mergeEnv(...lists: [string, string][][]): [string, string][] {
  const map = new Map<string, string>();
  for (const list of lists) for (const [k, v] of list) map.set(k, v);
  return [...map.entries()];
}

/** The image's Env; an entry systemd cannot pass on (odd name, NUL byte, over 128 KiB) is dropped with a warning (docker would pass it). */
export function imageEnv(env: string[] | null | undefined, onDropped: (name: string) => void = () => {}): [string, string][] {
  return (env ?? []).flatMap(e => {
    const eq = e.indexOf('=');
    if (eq <= 0) return [];
    const key = e.slice(0, eq);
    if (!isValidEnvName(key) || e.includes('\0') || Buffer.byteLength(e) > ENV_VAR_MAX_BYTES) {
      onDropped(key);
      return [];
    }
    return [[key, e.slice(eq + 1)] as [string, string]];
  });
}
