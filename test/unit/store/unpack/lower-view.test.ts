import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LowerView } from '../../../../src/store/unpack/lower-view.js';

/** Two lower layers, `top` over `base`, as overlayfs would stack them. */
describe('LowerView', () => {
  let dir: string;
  let top: string;
  let base: string;
  const rel = (hit: { abs: string } | null) => hit && path.relative(dir, hit.abs);

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'racker-lower-view-'));
    top = path.join(dir, 'top');
    base = path.join(dir, 'base');
    for (const d of ['merged', 'opaque', 'gone', 'filed']) await mkdir(path.join(base, d), { recursive: true });
    await writeFile(path.join(base, 'merged/from-base'), '');
    await writeFile(path.join(base, 'opaque/hidden'), '');
    await writeFile(path.join(base, 'gone/f'), '');
    await writeFile(path.join(base, 'filed/f'), '');
    await writeFile(path.join(base, 'base-only'), '');
    for (const d of ['merged', 'opaque']) await mkdir(path.join(top, d), { recursive: true });
    await writeFile(path.join(top, 'merged/from-top'), '');
    await writeFile(path.join(top, 'filed'), 'a file over a directory');
    await symlink('usr/bin', path.join(top, 'bin'));
    execFileSync('mknod', [path.join(top, 'gone'), 'c', '0', '0']);
    execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', path.join(top, 'opaque')]);
  });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('merges directories and shows the topmost entry', async () => {
    const v = new LowerView([top, base]);
    expect(rel(await v.lookup(['merged']))).toBe('top/merged');
    expect(rel(await v.lookup(['merged', 'from-base']))).toBe('base/merged/from-base');
    expect(rel(await v.lookup(['merged', 'from-top']))).toBe('top/merged/from-top');
    expect(rel(await v.lookup(['base-only']))).toBe('base/base-only');
    expect(await v.lookup(['absent'])).toBeNull();
    expect(await v.lookup([])).toBeNull();
  });

  it('stops at whiteouts, opaque directories and non-directories', async () => {
    const v = new LowerView([top, base]);
    expect(await v.lookup(['gone'])).toBeNull();
    expect(await v.lookup(['gone', 'f'])).toBeNull();
    expect(rel(await v.lookup(['opaque']))).toBe('top/opaque');
    expect(await v.lookup(['opaque', 'hidden'])).toBeNull();
    expect((await v.lookup(['filed']))?.stat.isFile()).toBe(true);
    expect(await v.lookup(['filed', 'f'])).toBeNull();
  });

  it('returns symlinks as they are, without following them', async () => {
    const hit = await new LowerView([top, base]).lookup(['bin']);
    expect(hit?.stat.isSymbolicLink()).toBe(true);
    expect(await new LowerView([top, base]).lookup(['bin', 'x'])).toBeNull();
  });

  it('lists the names shown at the top', async () => {
    expect((await new LowerView([top, base]).rootNames()).sort()).toEqual(['base-only', 'bin', 'filed', 'merged', 'opaque']);
  });

  it('shows nothing without layers', async () => {
    expect(await new LowerView([]).lookup(['merged'])).toBeNull();
  });
});
