import { describe, expect, it, afterEach } from 'vitest';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain ES module of scripts/, without types
import { checkLayers } from '../../scripts/layers.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const check = checkLayers as (src: string) => string[];

describe('the dependency direction (docs/architecture.md)', () => {
  it('every import in src/ points down the layers, and no verb imports another', async () => {
    const r = await execa(process.execPath, [path.join(REPO, 'scripts/check-layers')], { reject: false });
    expect(r.stdout).toBe('layers: every import points down');
    expect(r.exitCode).toBe(0);
  });
});

describe('the layer rules (scripts/layers.mjs), on small trees', () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  /** A src/ tree of the given files (path → the module names it imports). */
  function tree(files: Record<string, string[] | string>): string {
    const src = path.join(mkdtempSync(path.join(tmpdir(), 'racker-layers-')), 'src');
    dirs.push(path.dirname(src));
    for (const [rel, body] of Object.entries(files)) {
      mkdirSync(path.join(src, path.dirname(rel)), { recursive: true });
      const text = typeof body === 'string' ? body : body.map(t => `import { x } from '${path.relative(path.dirname(rel), t).replace(/^(?!\.)/, './').replace(/\.ts$/, '.js')}';\n`).join('');
      writeFileSync(path.join(src, rel), text);
    }
    return src;
  }

  it('a tree whose imports all point down has no problems', () => {
    expect(check(tree({
      'errors.ts': [], 'model/container.ts': ['errors.ts'], 'store/container-store.ts': ['model/container.ts', 'errors.ts'],
      'engine/engine.ts': ['store/container-store.ts', 'model/container.ts'], 'cli/racker/ps.ts': ['engine/engine.ts', 'model/container.ts', 'errors.ts'],
      'compose/up.ts': ['engine/engine.ts'], 'cli/compose/commands.ts': ['compose/up.ts'], 'index.ts': ['engine/engine.ts', 'model/container.ts'],
    }))).toEqual([]);
  });

  it('an import that points up fails, also from model/ to a store or from the base to model/', () => {
    expect(check(tree({ 'engine/a.ts': ['cli/b.ts'], 'cli/b.ts': [], 'model/m.ts': ['store/s.ts'], 'store/s.ts': [], 'log.ts': ['model/m.ts'] })))
      .toEqual(['engine/a.ts → cli/b.ts', 'log.ts → model/m.ts', 'model/m.ts → store/s.ts']);
  });

  it('a client importing runtime/, store/, network/, image/, registry/ or syntax/ fails; engine/, model/ and the base pass', () => {
    const problems = check(tree({
      'cli/racker/run.ts': ['runtime/env.ts', 'engine/flags.ts', 'model/mounts.ts', 'units.ts'],
      'compose/x.ts': ['store/s.ts', 'syntax/ports.ts'], 'postroj/y.ts': ['image/i.ts', 'registry/r.ts', 'network/n.ts'], 'syntax/ports.ts': [],
      'runtime/env.ts': [], 'engine/flags.ts': [], 'model/mounts.ts': [], 'units.ts': [], 'store/s.ts': [], 'image/i.ts': [], 'registry/r.ts': [], 'network/n.ts': [],
    }));
    expect(problems).toEqual([
      'cli/racker/run.ts → runtime/env.ts (a client of the engine: use engine/, model/ or the base)',
      'compose/x.ts → store/s.ts (a client of the engine: use engine/, model/ or the base)',
      'compose/x.ts → syntax/ports.ts (a client of the engine: use engine/, model/ or the base)',
      'postroj/y.ts → image/i.ts (a client of the engine: use engine/, model/ or the base)',
      'postroj/y.ts → registry/r.ts (a client of the engine: use engine/, model/ or the base)',
      'postroj/y.ts → network/n.ts (a client of the engine: use engine/, model/ or the base)',
    ]);
  });

  it('a client reaching through a service to its store fails', () => {
    const problems = check(tree({
      'engine/engine.ts': [],
      'postroj/p.ts': "import type { Engine } from '../engine/engine.js';\nexport const tags = (e: Engine) => e.images.store.readTags();\n",
    }));
    expect(problems).toEqual(['postroj/p.ts: reaches through a service to its store (images.store): add an engine method']);
  });

  it('two folders that import each other fail, even on one level, with an import of each direction', () => {
    const problems = check(tree({ 'image/source.ts': ['registry/fetcher.ts'], 'registry/fetcher.ts': ['image/oci.ts'], 'image/oci.ts': [], 'store/a.ts': ['network/b.ts'], 'network/b.ts': ['runtime/c.ts'], 'runtime/c.ts': ['store/d.ts'], 'store/d.ts': [] }));
    expect(problems).toEqual([
      'folders import each other: image, registry (image/source.ts → registry/fetcher.ts; registry/fetcher.ts → image/oci.ts)',
      'folders import each other: network, runtime, store (network/b.ts → runtime/c.ts; runtime/c.ts → store/d.ts; store/a.ts → network/b.ts)',
    ]);
  });

  it('compose and postroj do not import each other; a verb does not import another verb', () => {
    expect(check(tree({ 'compose/a.ts': ['postroj/b.ts'], 'postroj/b.ts': [], 'cli/racker/run.ts': ['cli/racker/ps.ts'], 'cli/racker/ps.ts': [], 'cli/racker/main.ts': ['cli/racker/ps.ts'] })))
      .toEqual(['cli/racker/run.ts → cli/racker/ps.ts', 'compose/a.ts → postroj/b.ts']);
  });
});
