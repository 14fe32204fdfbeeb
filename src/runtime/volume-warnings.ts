import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { VolumeSpec } from '../model/mounts.js';

/** Looking through a huge tree before every run would be slow: stop after this many entries. */
const MAX_ENTRIES = 20_000;
const MAX_DEPTH = 8;

export interface BrokenLink { path: string; points: string; kind: 'symlink' | 'gitdir' }

function outside(dir: string, target: string): boolean {
  const rel = path.relative(dir, target);
  return rel === '..' || rel.startsWith('../') || path.isAbsolute(rel);
}

/**
 * Things in a bind-mounted folder that point outside it: inside the container
 * they resolve against the container's tree and are broken. Symlinks whose
 * target leaves the folder, and git worktrees or submodules whose `.git` file
 * names a git directory elsewhere.
 */
export async function findOutsideLinks(source: string): Promise<BrokenLink[]> {
  const found: BrokenLink[] = [];
  let seen = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH || seen > MAX_ENTRIES) return;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (++seen > MAX_ENTRIES) return;
      const p = path.join(dir, e.name);
      if (e.isSymbolicLink()) {
        const target = await readlink(p).catch(() => '');
        const abs = path.resolve(dir, target);
        if (target && outside(source, abs)) found.push({ path: p, points: abs, kind: 'symlink' });
      } else if (e.name === '.git' && e.isFile()) {
        const text = await readFile(p, 'utf8').catch(() => '');
        const m = /^gitdir:\s*(.+)$/m.exec(text);
        if (m) {
          const abs = path.resolve(dir, m[1].trim());
          if (outside(source, abs)) found.push({ path: p, points: abs, kind: 'gitdir' });
        }
      } else if (e.isDirectory() && e.name !== 'node_modules') {
        await walk(p, depth + 1);
      }
    }
  };
  const st = await lstat(source).catch(() => undefined);
  if (st?.isDirectory()) await walk(source, 0);
  return found;
}

/** One warning per volume that has such links, with the --volume lines that would fix them. */
export async function volumeWarnings(volumes: VolumeSpec[]): Promise<string[]> {
  const out: string[] = [];
  for (const v of volumes) {
    const links = await findOutsideLinks(v.source);
    if (links.length === 0) continue;
    const shown = links.slice(0, 5).map(l => `${l.path} -> ${l.points}${l.kind === 'gitdir' ? ' (git worktree or submodule)' : ''}`);
    // a git worktree needs the whole repository's git directory, not just its worktree entry
    const dirs = [...new Set(links.map(l => l.kind === 'gitdir' ? l.points.replace(/\/(worktrees|modules)\/.*$/, '') : l.points))];
    out.push(`${v.source} (mounted at ${v.target}) has ${links.length} link(s) pointing outside it, broken inside the container: ${shown.join('; ')}${links.length > 5 ? '; …' : ''}. `
      + `To keep them working, also mount: ${dirs.slice(0, 5).map(d => `-v ${d}:${d}`).join(' ')}`);
  }
  return out;
}
