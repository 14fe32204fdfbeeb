// npm run build, after tsc: the programs racker starts (the racker and postroj
// CLIs, the detached supervisor, and pkgprobe's net probe) are
// bundled with their packages in place of tsc's output of their entries; what
// they import lazily (the pull pipeline, provisioning) becomes chunks loaded
// only when used. Node then reads a few files instead of resolving and loading
// some sixty modules on every start (docs/performance.md).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(REPO, 'src');
const DIST = path.join(REPO, 'dist');
const ENTRIES = ['cli/racker/main', 'cli/postroj/main', 'engine/supervisor-main', 'postroj/pkgprobe/net-probe-main'];
const MODULE_URL = /__rackerModuleUrl\("([^"]+)"\)/g;

// A module that finds files next to itself (new URL('../x.js', import.meta.url))
// gets the URL it has in tsc's output, so dist/ keeps its layout: the supervisor
// and the net probe it spawns are the bundled entries, package.json is found.
// Where its code lands is known only after the build: a placeholder until then.
const moduleUrls = {
  name: 'module-urls',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      let text = await readFile(args.path, 'utf8');
      if (args.path.startsWith(SRC + path.sep) && text.includes('import.meta.url')) {
        const compiled = path.relative(SRC, args.path).split(path.sep).join('/').replace(/\.ts$/, '.js');
        text = text.replaceAll('import.meta.url', `__rackerModuleUrl(${JSON.stringify(compiled)})`);
      }
      return { contents: text, loader: 'ts' };
    });
  },
};

// node:crypto and its seventeen internal modules are loaded on first use: most
// starts (ps, images, --version, run of a local image) never hash. Only the
// functions racker's own modules import from it are wrapped: importing any
// other name fails the build (no matching export), so add it here.
const LAZY_CRYPTO = ['createHash', 'createPublicKey', 'verify'];
const lazyCrypto = (format) => ({
  name: 'lazy-crypto',
  setup(b) {
    b.onResolve({ filter: /^node:crypto$/ }, (args) => (args.importer.startsWith(SRC + path.sep) ? { path: 'node:crypto', namespace: 'lazy-crypto' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy-crypto' }, () => ({
      loader: 'js',
      contents: [
        ...(format === 'esm' ? ["import { createRequire } from 'node:module';", 'const req = createRequire(import.meta.url);'] : ['const req = require;']),
        'let crypto;',
        "const load = () => (crypto ??= req('node:crypto'));",
        ...LAZY_CRYPTO.map(f => `export const ${f} = (...args) => load().${f}(...args);`),
      ].join('\n'),
    }));
  },
});

// `import process from 'node:process'` (chalk's supports-color) makes Node build
// an ES module facade of process, reading every property: that creates
// process.stdin, stdout and stderr on every start. The global is the same object.
const processGlobal = {
  name: 'process-global',
  setup(b) {
    b.onResolve({ filter: /^(node:)?process$/ }, (args) => (args.kind === 'import-statement' ? { path: 'process', namespace: 'process-global' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'process-global' }, () => ({ loader: 'js', contents: 'export default globalThis.process;' }));
  },
};

await rm(path.join(DIST, 'chunks'), { recursive: true, force: true });
// one build per program, each with chunks of its own: chunks shared between the
// programs would add files to every start of each
for (const entry of ENTRIES) {
  const result = await build({
    entryPoints: [path.join(SRC, `${entry}.ts`)],
    outbase: SRC,
    outdir: DIST,
    chunkNames: `chunks/${path.basename(path.dirname(entry))}/[name]-[hash]`,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node18.19',
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
    write: false,
    plugins: [moduleUrls, lazyCrypto('esm'), processGlobal],
  });
  for (const out of result.outputFiles) {
    let text = out.text;
    if (out.path.endsWith('.js')) {
      text = text.replace(MODULE_URL, (_m, compiled) => {
        const rel = path.relative(path.dirname(out.path), path.join(DIST, compiled)).split(path.sep).join('/');
        return `new URL(${JSON.stringify(rel.startsWith('.') ? rel : `./${rel}`)}, import.meta.url).href`;
      });
      if (/__rackerModuleUrl/.test(text)) throw new Error(`bundle: ${out.path}: a module URL was not resolved`);
      // CommonJS packages (commander) require() node's own modules: esbuild's
      // require shim needs a require; on line 1, so the source map stays right
      if (text.includes('Dynamic require of')) text = "import { createRequire as __rackerCreateRequire } from 'node:module'; const require = __rackerCreateRequire(import.meta.url); " + text;
    }
    await mkdir(path.dirname(out.path), { recursive: true });
    await writeFile(out.path, text);
  }
}

// The racker CLI once more, as one CommonJS file for a V8 start-up snapshot
// (scripts/snapshot.mjs makes the snapshot from it with the node that will run
// it). A snapshot is made by running the file once, so a module URL is worked
// out when it is used, from where the snapshot is: dist/snapshot/racker.blob.
const SNAPSHOT = path.join(DIST, 'snapshot');
await rm(SNAPSHOT, { recursive: true, force: true });
const snap = await build({
  entryPoints: [path.join(SRC, 'cli/racker/snapshot-main.ts')],
  outfile: path.join(SNAPSHOT, 'racker.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18.19',
  // a smaller heap to map in at every start (names are kept: stack traces and error names read the same)
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  write: false,
  banner: {
    js: [
      '"use strict";',
      'function __rackerModuleUrl(compiled) {',
      "  const blob = process.execArgv[process.execArgv.indexOf('--snapshot-blob') + 1];",
      "  return require('node:url').pathToFileURL(require('node:path').resolve(blob, '../..', compiled)).href;",
      '}',
    ].join('\n'),
  },
  plugins: [moduleUrls, lazyCrypto('cjs'), processGlobal],
});
await mkdir(SNAPSHOT, { recursive: true });
for (const out of snap.outputFiles) await writeFile(out.path, out.text);
