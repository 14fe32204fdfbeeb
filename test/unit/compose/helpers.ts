import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { loadProject, type LoadOptions } from '../../../src/compose/load.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

/** A project folder with these files (paths relative to it), removed after the test. */
export function projectDir(files: Record<string, string>, folder = 'proj'): string {
  const root = mkdtempSync(path.join(tmpdir(), 'racker-compose-unit-'));
  dirs.push(root);
  const dir = path.join(root, folder);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** Load a project written as files, with an empty shell environment unless given. */
export function load(files: Record<string, string>, opts: LoadOptions = {}) {
  const cwd = projectDir(files);
  return { cwd, project: loadProject({ env: {}, ...opts, cwd }) };
}

/** The RackerError message (and hint) a load fails with. */
export function loadError(files: Record<string, string>, opts: LoadOptions = {}): string {
  try {
    load(files, opts);
  } catch (err) {
    const e = err as Error & { hint?: string };
    return `${e.message}${e.hint ? ` | hint: ${e.hint}` : ''}`;
  }
  throw new Error('the load did not fail');
}
