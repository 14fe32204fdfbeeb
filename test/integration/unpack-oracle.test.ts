import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { MEDIA } from '../../src/image/oci.js';
import { decompressStream } from '../../src/store/unpack/decompress.js';
import { unpackLayer } from '../../src/store/unpack/unpack-layer.js';
import { writeOciLayout } from '../helpers/oci-layout.js';
import { buildLayer, type BuiltLayer, type TarEntry } from '../helpers/tar-builder.js';

/**
 * umoci as the oracle: the overlay of our per-layer directories must show
 * exactly the tree `umoci unpack` flattens the same image into.
 */

const LONG_DIR = `opt/${'long-directory-name-'.repeat(6)}`;
const LONG_FILE = `${LONG_DIR}/${'a-file-with-a-long-name-'.repeat(5)}.txt`;

const layer1: TarEntry[] = [
  { type: 'dir', name: './', mode: 0o755, mtime: 1600000000 },
  { type: 'dir', name: 'etc/', mode: 0o755, xattrs: { 'user.dir-note': 'on a directory' } },
  { type: 'file', name: 'etc/passwd', body: 'root:x:0:0:root:/root:/bin/sh\n', mtime: 1600000001 },
  { type: 'file', name: 'etc/shadow', body: 'root:*:19000::::::\n', mode: 0o640, gid: 42 },
  { type: 'symlink', name: 'etc/localtime', target: '/usr/share/zoneinfo/UTC', mtime: 1600000002 },
  { type: 'dir', name: 'usr/', mode: 0o755 },
  { type: 'dir', name: 'usr/bin/', mode: 0o755 },
  { type: 'file', name: 'usr/bin/tool', body: '#!/bin/sh\necho tool\n', mode: 0o755, mtime: 1600000003, xattrs: { 'user.origin': 'layer 1', 'user.binary': '\u0001\u0002' } },
  { type: 'hardlink', name: 'usr/bin/tool-link', target: 'usr/bin/tool' },
  { type: 'file', name: 'usr/bin/tool2', body: 'tool2', mode: 0o755 },
  { type: 'file', name: 'usr/bin/su', body: 'setuid', mode: 0o4755 },
  { type: 'file', name: 'usr/bin/sgid', body: 'setgid', mode: 0o2711, gid: 5 },
  { type: 'symlink', name: 'bin', target: 'usr/bin' },
  { type: 'fifo', name: 'run/ctl', mode: 0o600 },
  { type: 'dir', name: 'var/empty/', mode: 0o711 },
  { type: 'dir', name: 'srv/', mode: 0o750, uid: 5, gid: 6, xattrs: { 'user.srv': 'kept when a child is added later' } },
  { type: 'dir', name: 'home/user/', mode: 0o700, uid: 1000, gid: 1000 },
  { type: 'file', name: 'home/user/.profile', body: 'PS1=$\n', mode: 0o600, uid: 1000, gid: 1000 },
  { type: 'file', name: LONG_FILE, body: 'long', mode: 0o1604 },
  { type: 'file', name: 'odd/none', body: 'no permissions', mode: 0o000 },
  { type: 'dir', name: 'odd/sticky/', mode: 0o3777 },
  { type: 'dir', name: 'data/', mode: 0o755 },
  { type: 'file', name: 'data/keep.txt', body: 'keep\n' },
  { type: 'file', name: 'data/gone.txt', body: 'gone\n' },
  { type: 'file', name: 'data/old/a.txt', body: 'old a\n' },
  { type: 'dir', name: 'data/opaque/', mode: 0o755 },
  { type: 'file', name: 'data/opaque/hidden.txt', body: 'hidden\n' },
  { type: 'dir', name: 'data/replaced/', mode: 0o700 },
  { type: 'file', name: 'data/replaced/stale', body: 'stale\n' },
];

const layer2: TarEntry[] = [
  { type: 'file', name: 'data/.wh.gone.txt', body: '' },
  { type: 'file', name: 'data/.wh.old', body: '' },
  { type: 'dir', name: 'data/opaque/', mode: 0o755 },
  { type: 'file', name: 'data/opaque/.wh..wh..opq', body: '' },
  { type: 'file', name: 'data/opaque/new.txt', body: 'new in opaque\n' },
  { type: 'file', name: 'data/.wh.replaced', body: '' },
  { type: 'dir', name: 'data/replaced/', mode: 0o755, uid: 7 },
  { type: 'file', name: 'data/replaced/fresh', body: 'fresh\n' },
  { type: 'file', name: 'usr/local/share/doc/x', body: 'implicit parents\n', mtime: 1650000000 },
  { type: 'file', name: 'etc/passwd', body: 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n', uid: 0, gid: 0, mode: 0o644 },
  { type: 'file', name: 'srv/new', body: 'new under an odd directory\n', xattrs: { 'user.new': 'yes' } },
  { type: 'file', name: 'etc/localtime', body: 'TZif2 (a file now)', mode: 0o644 },
  { type: 'file', name: 'usr/local/bin/a', body: 'shared inode', mode: 0o755, uid: 1000, gid: 1000, mtime: 1650000002 },
  { type: 'hardlink', name: 'usr/local/bin/b', target: 'usr/local/bin/a' },
  { type: 'hardlink', name: 'usr/local/bin/c', target: '/usr/local/bin/a' },
  { type: 'symlink', name: 'usr/local/bin/rel', target: '../share/doc/x', uid: 1000, gid: 1000, mtime: 1650000001 },
];

const layer3: TarEntry[] = [
  { type: 'file', name: 'usr/local/share/doc/.wh.x', body: '' },
  { type: 'file', name: 'usr/local/share/doc/y', body: 'y\n' },
  { type: 'file', name: '.wh.home', body: '' },
  { type: 'file', name: 'home/other/file', body: 'other\n', uid: 2000, gid: 2000, mtime: 1700000300 },
  { type: 'file', name: 'var/empty', body: 'a directory became a file\n' },
  { type: 'dir', name: 'data/keep.txt/', mode: 0o755 },
  { type: 'file', name: 'data/keep.txt/inside', body: 'a file became a directory\n' },
  { type: 'file', name: 'bin/extra', body: 'through the lower bin -> usr/bin link\n', mode: 0o755 },
  { type: 'file', name: 'bin/.wh.tool2', body: '' },
  { type: 'fifo', name: 'run/ctl2', mode: 0o644 },
  { type: 'file', name: 'srv/.wh.new', body: '' },
];

interface Node { desc: string; ino?: number }

/** One line per path saying everything compared about it; hardlinks go in groups by inode. */
async function describeTree(root: string): Promise<{ nodes: Map<string, Node>; groups: string[] }> {
  const xattrOut = await execa('getfattr', ['-R', '-h', '-d', '-m', '^user\\.', '-e', 'hex', '--absolute-names', root]);
  const xattrs = new Map<string, string[]>();
  let file = '';
  for (const line of xattrOut.stdout.split('\n')) {
    if (line.startsWith('# file: ')) file = path.relative(root, line.slice(8)) || '.';
    else if (line) xattrs.set(file, [...xattrs.get(file) ?? [], line]);
  }
  const nodes = new Map<string, Node>();
  const walk = async (p: string) => {
    const st = await lstat(p);
    const rel = path.relative(root, p) || '.';
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    const attrs = (xattrs.get(rel) ?? []).sort().join(',');
    let desc = `${mode} ${st.uid}:${st.gid}`;
    if (st.isDirectory()) desc = `dir ${desc}`;
    else if (st.isFile()) desc = `file ${desc} size=${st.size} sha=${createHash('sha256').update(await readFile(p)).digest('hex').slice(0, 12)} mtime=${st.mtimeMs}`;
    else if (st.isSymbolicLink()) desc = `symlink ${st.uid}:${st.gid} -> ${await readlink(p)} mtime=${st.mtimeMs}`;
    else if (st.isFIFO()) desc = `fifo ${desc}`;
    else desc = `other(${st.mode.toString(8)}) ${desc}`;
    if (attrs) desc += ` xattrs=${attrs}`;
    nodes.set(rel, { desc, ino: st.isFile() ? st.ino : undefined });
    if (st.isDirectory()) for (const e of await readdir(p)) await walk(path.join(p, e));
  };
  await walk(root);
  const byIno = new Map<number, string[]>();
  for (const [rel, n] of nodes) if (n.ino !== undefined) byIno.set(n.ino, [...byIno.get(n.ino) ?? [], rel]);
  const groups = [...byIno.values()].filter(g => g.length > 1).map(g => g.sort().join(' = ')).sort();
  return { nodes, groups };
}

function diffTrees(expected: Awaited<ReturnType<typeof describeTree>>, actual: Awaited<ReturnType<typeof describeTree>>): string[] {
  const out: string[] = [];
  const paths = [...new Set([...expected.nodes.keys(), ...actual.nodes.keys()])].sort();
  for (const p of paths) {
    const e = expected.nodes.get(p)?.desc;
    const a = actual.nodes.get(p)?.desc;
    if (e === a) continue;
    if (e === undefined) out.push(`+ ${p}: ${a}   (only in the overlay)`);
    else if (a === undefined) out.push(`- ${p}: ${e}   (only in umoci's tree)`);
    else out.push(`~ ${p}:\n    umoci:   ${e}\n    overlay: ${a}`);
  }
  for (const g of expected.groups) if (!actual.groups.includes(g)) out.push(`- hardlink group ${g}`);
  for (const g of actual.groups) if (!expected.groups.includes(g)) out.push(`+ hardlink group ${g}`);
  return out;
}

let work: string;
let mounted: string | undefined;

beforeEach(async () => { work = await mkdtemp(path.join(tmpdir(), 'unpack-oracle-')); });
afterEach(async () => {
  if (mounted) await execa('umount', [mounted]).finally(() => { mounted = undefined; });
  await rm(work, { recursive: true, force: true });
});

/** Unpacks each layer into its own directory over the ones before; returns them bottom first. */
async function unpackAll(layers: BuiltLayer[]): Promise<string[]> {
  const dirs: string[] = [];
  for (const [i, l] of layers.entries()) {
    const dir = path.join(work, 'layers', String(i));
    await mkdir(dir, { recursive: true });
    const stats = await unpackLayer(Readable.from([l.gz]).pipe(decompressStream(MEDIA.ociLayerGzip)!), dir, { lowerDirs: [...dirs].reverse() });
    expect(stats.diffId).toBe(l.diffId);
    dirs.push(dir);
  }
  return dirs;
}

async function mountOverlay(dirs: string[]): Promise<string> {
  const mnt = path.join(work, 'merged');
  await mkdir(mnt);
  await execa('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${[...dirs].reverse().join(':')}`, mnt]);
  mounted = mnt;
  return mnt;
}

async function compareWithUmoci(layers: BuiltLayer[]): Promise<string[]> {
  const image = path.join(work, 'image');
  await writeOciLayout(image, { layers, tag: 'oracle' });
  const bundle = path.join(work, 'bundle');
  await execa('umoci', ['unpack', '--image', `${image}:oracle`, bundle]);
  const expected = await describeTree(path.join(bundle, 'rootfs'));
  const actual = await describeTree(await mountOverlay(await unpackAll(layers)));
  return diffTrees(expected, actual);
}

describe('stacked layer directories versus umoci unpack', () => {
  it('show the same tree for a 3-layer image with whiteouts, opaque dirs, links, odd modes and xattrs', async () => {
    const diff = await compareWithUmoci([buildLayer(layer1), buildLayer(layer2), buildLayer(layer3)]);
    expect(diff.join('\n')).toBe('');
  });

  it('show the same tree when whiteouts come after the entries they must not hide', async () => {
    const isWhiteout = (e: TarEntry) => path.basename(e.name).startsWith('.wh.');
    const reorder = (entries: TarEntry[]) => [...entries.filter(e => !isWhiteout(e)), ...entries.filter(isWhiteout)];
    const diff = await compareWithUmoci([buildLayer(layer1), buildLayer(reorder(layer2)), buildLayer(reorder(layer3))]);
    expect(diff.join('\n')).toBe('');
  });

});
