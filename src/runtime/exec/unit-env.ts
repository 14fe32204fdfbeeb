import { mkdir, open, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { randomHex } from '../../random.js';

/**
 * The environment of a command racker runs in a booted container (its run
 * command, `racker exec`) goes to the transient unit as an EnvironmentFile=,
 * never as `systemd-run --setenv=` on a command line every local user can
 * read. The files are racker's own (containers/<id>/unit-env/, root only),
 * bind-mounted read-only at UNIT_ENV_DIR: the container's systemd reads them
 * there; the container cannot change them. Not /run/racker: that is racker's
 * own runtime directory, also for a racker running nested in the container.
 */
export const UNIT_ENV_DIR = '/run/racker-env';
/** the container's own environment (`-e`, --env-file), for its run command and every exec */
export const RUN_ENV = 'run.env';

/** Where the files live on the host, in the container's directory. */
export function unitEnvHostDir(containerDir: string): string {
  return path.join(containerDir, 'unit-env');
}

/** The read-only bind that shows them inside the container (made before it starts). */
export function unitEnvBind(containerDir: string): { source: string; target: string; readOnly: boolean } {
  return { source: unitEnvHostDir(containerDir), target: UNIT_ENV_DIR, readOnly: true };
}

/**
 * systemd's environment-file syntax: each value double-quoted, `\`, `"`, `` ` ``
 * and `$` escaped with a backslash; a newline inside quotes is kept as it is.
 */
export function unitEnvText(env: [string, string][]): string {
  return env.map(([k, v]) => `${k}="${v.replace(/[\\"`$]/g, c => `\\${c}`)}"\n`).join('');
}

/** Make the (empty) directory before the container starts, so the bind has a source. */
export async function prepareUnitEnv(containerDir: string): Promise<void> {
  await mkdir(unitEnvHostDir(containerDir), { recursive: true, mode: 0o700 });
}

/**
 * Write one file (`name`, or a fresh exec-… one) and return its path inside the
 * container and its removal.
 */
export async function writeUnitEnv(containerDir: string, env: [string, string][], name?: string): Promise<{ inContainer: string; remove(): Promise<void> }> {
  const file = name ?? `exec-${randomHex(8)}.env`;
  const hostPath = path.join(unitEnvHostDir(containerDir), file);
  await rm(hostPath, { force: true });
  const fh = await open(hostPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    await fh.writeFile(unitEnvText(env));
  } finally {
    await fh.close();
  }
  return { inContainer: path.posix.join(UNIT_ENV_DIR, file), remove: () => rm(hostPath, { force: true }) };
}
