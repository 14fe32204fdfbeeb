// Makes racker's V8 start-up snapshot, dist/snapshot/racker.blob, from the
// bundle `npm run build` wrote (dist/snapshot/racker.cjs), with the node that
// runs this script; `npm run build` and `npm install` (postinstall) run it.
// A snapshot works only with the node binary that made it: next to it goes
// dist/snapshot/node, a file with that binary's modification time, which
// bin/racker compares (test -nt / -ot, to the nanosecond) with the node it
// finds before it uses the snapshot: another node, or this one upgraded, has
// another time.
// Without a snapshot (no bundle, a node that cannot make one) racker starts
// the usual way; this script never fails an install or a build.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIR = path.join(REPO, 'dist', 'snapshot');
const BUNDLE = path.join(DIR, 'racker.cjs');
const BLOB = path.join(DIR, 'racker.blob');
const STAMP = path.join(DIR, 'node');
const TMP = `${BLOB}.${process.pid}`;

function skip(why) {
  rmSync(TMP, { force: true });
  process.stderr.write(`racker: no start-up snapshot (${why}); racker starts without one, a little slower\n`);
  process.exit(0);
}

if (!existsSync(BUNDLE)) process.exit(0); // not built yet (npm ci in a checkout)
// the stamp goes first: a blob never stands beside a stamp of another node
rmSync(STAMP, { force: true });
rmSync(BLOB, { force: true });
// user-land snapshots are experimental in Node 18, and racker's tests run from one only on Node 20 and later
if (Number(process.versions.node.split('.')[0]) < 20) skip(`node ${process.version}: racker makes one with Node 20 or later`);
const made = spawnSync(process.execPath, ['--snapshot-blob', TMP, '--build-snapshot', BUNDLE], { encoding: 'utf8', timeout: 120_000 });
if (made.status !== 0) skip(`node ${process.version} could not make one: ${(made.stderr || made.error?.message || '').trim().split('\n')[0]}`);
const { version } = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'));
const tried = spawnSync(process.execPath, ['--snapshot-blob', TMP, '--', '--version'], { encoding: 'utf8', timeout: 30_000 });
if (tried.status !== 0 || tried.stdout.trim() !== version) skip(`it did not start: ${(tried.stderr || `exit ${tried.status}`).trim().split('\n')[0]}`);
writeFileSync(`${STAMP}.tmp`, `${process.execPath} ${process.version}\n`);
// touch copies the time exactly; utimes from node would round it
const touch = spawnSync('touch', ['-m', '-r', process.execPath, '--', `${STAMP}.tmp`], { encoding: 'utf8' });
if (touch.status !== 0) skip(`touch -r failed: ${(touch.stderr || '').trim()}`);
renameSync(TMP, BLOB);
renameSync(`${STAMP}.tmp`, STAMP);
