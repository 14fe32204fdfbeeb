import { readFile } from 'node:fs/promises';
import { RackerError } from '../errors.js';

const KEY = /^[^=\0]+$/;

/** Parse `-e` values as docker does: K=V sets, a bare K copies the host's value (or nothing). */
export function parseEnvAssignments(values: string[], hostEnv: NodeJS.ProcessEnv, origin = '-e'): [string, string][] {
  const out: [string, string][] = [];
  for (const v of values) {
    if (v.includes('\0')) throw new RackerError(`invalid ${origin} value: contains a NUL byte`);
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    if (!KEY.test(key) || /\s/.test(key)) throw new RackerError(`invalid ${origin} value '${v.slice(0, 80)}'`, { hint: 'use KEY=VALUE, or KEY to copy it from your environment' });
    if (eq >= 0) out.push([key, v.slice(eq + 1)]);
    else if (hostEnv[key] !== undefined) out.push([key, hostEnv[key]!]);
  }
  return out;
}

/** docker's --env-file: one KEY=VALUE per line, # comments and blank lines ignored, no quoting. */
export async function readEnvFile(file: string, hostEnv: NodeJS.ProcessEnv): Promise<[string, string][]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new RackerError(`cannot read env file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  const lines = text.split(/\r?\n/).map(l => l.replace(/^\s+/, '')).filter(l => l !== '' && !l.startsWith('#'));
  return parseEnvAssignments(lines, hostEnv, `--env-file ${file}`);
}

/** Merge in order; a later key replaces an earlier one but keeps its first position. */
export function mergeEnv(...lists: [string, string][][]): [string, string][] {
  const map = new Map<string, string>();
  for (const list of lists) for (const [k, v] of list) map.set(k, v);
  return [...map.entries()];
}

export function imageEnv(env: string[] | null | undefined): [string, string][] {
  return (env ?? []).flatMap(e => {
    const eq = e.indexOf('=');
    return eq > 0 ? [[e.slice(0, eq), e.slice(eq + 1)] as [string, string]] : [];
  });
}
