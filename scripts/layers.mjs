// The layer rules of src/ (docs/architecture.md), as a function scripts/check-layers runs and the
// unit tests run on small trees of their own. Each rule gives one line per offending import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Top-level folders by level: an import may point to its own level or lower (the base is 1). */
const LEVEL = { cli: 6, postroj: 5, compose: 5, engine: 4, runtime: 3, store: 3, network: 3, registry: 2, image: 2, model: 1.5, syntax: 1.5 };
/** The engine's clients: they see engine/, model/ and the base, and each other as the levels allow. */
const CLIENTS = new Set(['cli', 'postroj', 'compose']);
const CLIENT_MAY_IMPORT = new Set(['engine', 'model', 'base', ...CLIENTS]);
/** A client reaching through a service to the store under it. */
const REACH_THROUGH = /\b(?:images|containers|volumes|networks)\.store\b/;

/** The node of the folder graph a file (relative to src/) belongs to: its top folder, `base` or `index`. */
function topOf(rel) {
  if (rel.includes('/')) return rel.split('/')[0];
  return rel === 'index.ts' ? 'index' : 'base';
}
const levelOf = rel => (topOf(rel) === 'index' ? 7 : LEVEL[topOf(rel)] ?? 1);

function* files(dir) {
  for (const e of readdirSync(dir).sort()) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

/** Every relative import of the tree: [file, target], both relative to src, targets as .ts. */
function imports(src) {
  const out = [];
  for (const file of files(src)) {
    const rel = path.relative(src, file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)) {
      out.push([rel, path.relative(src, path.resolve(path.dirname(file), m[1])).replace(/\.js$/, '.ts'), text]);
    }
  }
  return out;
}

/** Strongly connected sets of folders with more than one member (Tarjan), each as a sorted list. */
function cycles(edges) {
  const nodes = [...new Set([...edges.keys(), ...[...edges.values()].flatMap(s => [...s])])].sort();
  const index = new Map(), low = new Map(), stack = [], on = new Set(), out = [];
  let next = 0;
  const visit = v => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); on.add(v);
    for (const w of [...(edges.get(v) ?? [])].sort()) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const scc = [];
      for (let w; w !== v;) { w = stack.pop(); on.delete(w); scc.push(w); }
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of nodes) if (!index.has(v)) visit(v);
  return out;
}

/** The problems of the tree under `src`: one line each; none when every rule holds. */
export function checkLayers(src) {
  const problems = [];
  const edges = new Map();
  const example = new Map();
  const reached = new Set();
  for (const [rel, target, text] of imports(src)) {
    const [from, to] = [levelOf(rel), levelOf(target)];
    const [fromTop, toTop] = [topOf(rel), topOf(target)];
    // a verb never imports another verb (the program registers them: cli/racker/program.ts, the mains)
    const verbToVerb = /^cli\/(racker|postroj)\/[^/]+$/.test(rel) && !/(main|program)\.ts$/.test(rel) && path.dirname(rel) === path.dirname(target);
    if (to > from || (to === from && fromTop !== toTop && from >= 5) || verbToVerb) problems.push(`${rel} → ${target}`);
    else if (CLIENTS.has(fromTop) && !CLIENT_MAY_IMPORT.has(toTop)) problems.push(`${rel} → ${target} (a client of the engine: use engine/, model/ or the base)`);
    if (CLIENTS.has(fromTop) && REACH_THROUGH.test(text) && !reached.has(rel)) {
      reached.add(rel);
      problems.push(`${rel}: reaches through a service to its store (${text.match(REACH_THROUGH)[0]}): add an engine method`);
    }
    if (fromTop !== toTop) {
      if (!edges.has(fromTop)) edges.set(fromTop, new Set());
      edges.get(fromTop).add(toTop);
      if (!example.has(`${fromTop}>${toTop}`)) example.set(`${fromTop}>${toTop}`, `${rel} → ${target}`);
    }
  }
  for (const scc of cycles(edges)) {
    const inside = [...example.entries()].filter(([k]) => { const [a, b] = k.split('>'); return scc.includes(a) && scc.includes(b); }).map(([, v]) => v);
    problems.push(`folders import each other: ${scc.join(', ')} (${inside.join('; ')})`);
  }
  return problems;
}
