import { execa, type Options } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const RACKER = path.join(REPO, 'bin/racker');
export const POSTROJ = path.join(REPO, 'bin/postroj');

export interface CliResult { exitCode: number; stdout: string; stderr: string }

/** Run the built CLI as a black box, the way a user would. */
export async function racker(root: string, args: string[], opts: Options = {}): Promise<CliResult> {
  const stdin = 'input' in opts ? {} : { stdin: 'ignore' as const };
  const r = await execa(RACKER, ['--root', root, ...args], { reject: false, ...stdin, timeout: 120_000, ...opts });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/** A fresh store root for one test file; remove() unmounts nothing (tests must clean up via racker). */
export async function tempRoot(label: string): Promise<{ root: string; remove(): Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), `racker-test-${label}-`));
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
