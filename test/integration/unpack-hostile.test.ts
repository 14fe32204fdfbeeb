import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { logLevel } from '../../src/log.js';
import { MEDIA } from '../../src/image/oci.js';
import { decompressStream } from '../../src/store/unpack/decompress.js';
import { unpackLayer, type UnpackStats } from '../../src/store/unpack/unpack-layer.js';
import { buildLayer, buildTar, type TarEntry } from '../helpers/tar-builder.js';

/**
 * Every layer-archive case of shared/HOSTILE-INPUTS.md (items 1–15) against
 * unpackLayer on the real filesystem. Each test has a sentinel tree outside
 * the layer directories; afterEach checks it kept its entries, contents,
 * inodes and mtimes.
 */

let t: string;
let sentinel: string;
let before: string;
let n = 0;

/** Everything about a tree that a stray write, link or delete would change. */
async function snapshot(dir: string): Promise<string> {
  const out: string[] = [];
  const walk = async (p: string) => {
    const st = await lstat(p);
    const rel = path.relative(dir, p) || '.';
    let extra = '';
    if (st.isFile()) extra = createHash('sha256').update(await readFile(p)).digest('hex');
    if (st.isSymbolicLink()) extra = await readlink(p);
    out.push(`${rel} ${st.mode.toString(8)} ${st.uid}:${st.gid} ino=${st.ino} nlink=${st.nlink} mtime=${st.mtimeMs} ${extra}`);
    if (st.isDirectory()) for (const e of (await readdir(p)).sort()) await walk(path.join(p, e));
  };
  await walk(dir);
  // xattrs too: a stray setfattr (an opaque marker) would change nothing else
  const { stdout } = await execa('getfattr', ['-R', '-h', '-d', '-m', '-', '--absolute-names', dir]);
  return `${out.join('\n')}\n${stdout}`;
}

beforeEach(async () => {
  t = await mkdtemp(path.join(tmpdir(), 'unpack-hostile-'));
  sentinel = path.join(t, 'sentinel');
  await mkdir(path.join(sentinel, 'dir'), { recursive: true });
  await writeFile(path.join(sentinel, 'precious'), 'untouched\n');
  await writeFile(path.join(sentinel, 'dir', 'inner'), 'also untouched\n');
  await mkdir(path.join(t, 'layers'));
  before = await snapshot(sentinel);
});

afterEach(async () => {
  try {
    expect(await snapshot(sentinel)).toBe(before);
    expect((await readdir(t)).sort()).toEqual(['layers', 'sentinel']);
  } finally {
    await rm(t, { recursive: true, force: true });
  }
});

async function* chunks(buf: Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

/** Unpacks entries into a fresh layer directory, with the given layers below it (topmost first). */
async function unpack(entries: TarEntry[], lowerDirs: string[] = []): Promise<{ dir: string; stats: UnpackStats }> {
  const dir = path.join(t, 'layers', String(++n));
  await mkdir(dir);
  const stats = await unpackLayer(chunks(buildTar(entries)), dir, { lowerDirs });
  return { dir, stats };
}

/** Unpacks layers bottom first, each over the ones before; returns the layer dirs bottom first. */
async function stack(...layers: TarEntry[][]): Promise<string[]> {
  const dirs: string[] = [];
  for (const l of layers) dirs.push((await unpack(l, [...dirs].reverse())).dir);
  return dirs;
}

async function refused(entries: TarEntry[], message: string, lowerDirs: string[] = []): Promise<void> {
  await expect(unpack(entries, lowerDirs)).rejects.toThrow(message);
}

/** Sorted listing of a tree: 'path type [mode] [target]'. */
async function tree(dir: string): Promise<string[]> {
  const { stdout } = await execa('find', [dir, '-mindepth', '1', '-printf', '%P %y %m %U:%G %l\n']);
  return stdout.split('\n').filter(Boolean).map(l => l.trimEnd()).sort();
}

async function xattrs(p: string): Promise<string> {
  const { stdout } = await execa('getfattr', ['-h', '-d', '-m', '-', '--absolute-names', p]);
  return stdout.split('\n').filter(l => l && !l.startsWith('#')).join(' ');
}

/** The merged view of layer dirs (bottom first), through a real read-only overlay mount. */
async function merged<T>(dirs: string[], fn: (root: string) => Promise<T>): Promise<T> {
  const mnt = await mkdtemp(path.join(tmpdir(), 'unpack-hostile-mnt-'));
  try {
    await execa('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${[...dirs].reverse().join(':')}`, mnt]);
    try { return await fn(mnt); } finally { await execa('umount', [mnt]); }
  } finally {
    await rm(mnt, { recursive: true, force: true });
  }
}

/** The sentinel's path as a name inside the root (the host path, minus its leading slash). */
const inRoot = () => sentinel.slice(1);

describe('1. names with ..', () => {
  it('refuses ../../x and a/../../x; normalises a/../b', async () => {
    await refused([{ type: 'file', name: '../../x', body: 'x' }], "layer entry '../../x' escapes the root");
    await refused([{ type: 'file', name: 'a/../../x', body: 'x' }], "layer entry 'a/../../x' escapes the root");
    await refused([{ type: 'file', name: `../sentinel/precious`, body: 'x' }], "layer entry '../sentinel/precious' escapes the root");
    const { dir } = await unpack([{ type: 'file', name: 'a/../b', body: 'b' }, { type: 'file', name: './c//d/./e', body: 'e' }]);
    expect(await tree(dir)).toEqual(['b f 644 0:0', 'c d 755 0:0', 'c/d d 755 0:0', 'c/d/e f 644 0:0']);
  });

  it('refuses NUL in a name', async () => {
    const tar = buildTar([{ type: 'file', name: 'PLACEHOLDER-LONG-NAME-'.padEnd(120, 'x'), body: 'x' }]);
    // the builder writes names over 100 bytes as a pax path record: put a NUL into it
    const at = tar.indexOf('PLACEHOLDER');
    tar[at + 3] = 0;
    // fix the pax block's length-prefixed record is unchanged in size, so the archive stays well-formed
    const dir = path.join(t, 'layers', 'nul');
    await mkdir(dir);
    await expect(unpackLayer(chunks(tar), dir)).rejects.toThrow(/contains a NUL byte/);
  });
});

describe('2. absolute names', () => {
  it('keeps ////abs and /etc/x inside the root', async () => {
    const { dir } = await unpack([
      { type: 'file', name: `////${inRoot()}/abs`, body: 'inside' },
      { type: 'file', name: '/etc/x', body: 'x' },
    ]);
    expect(await readFile(path.join(dir, inRoot(), 'abs'), 'utf8')).toBe('inside');
    expect(await readFile(path.join(dir, 'etc/x'), 'utf8')).toBe('x');
    await expect(stat('/etc/x')).rejects.toThrow();
  });
});

describe('3. a symlink replacing a directory, then a write through it (one layer)', () => {
  it('refuses, writing nothing through the link', async () => {
    await refused([
      { type: 'dir', name: 'foo/' },
      { type: 'symlink', name: 'foo', target: sentinel },
      { type: 'file', name: 'foo/bar', body: 'x' },
    ], "layer entry 'foo/bar' would be written through symlink 'foo'");
  });

  it('refuses a write below a regular file', async () => {
    await refused([{ type: 'file', name: 'f', body: '' }, { type: 'file', name: 'f/x', body: '' }], "layer entry 'f/x' would be written through non-directory 'f'");
    await refused([{ type: 'fifo', name: 'p' }, { type: 'dir', name: 'p/d/' }], "layer entry 'p/d/' would be written through non-directory 'p'");
  });
});

describe('4. climbing symlinks in one layer', () => {
  it('refuses go_up -> .., go_up/escape -> ../victim', async () => {
    await refused([
      { type: 'symlink', name: 'go_up', target: '..' },
      { type: 'symlink', name: 'go_up/escape', target: '../sentinel' },
      { type: 'file', name: 'go_up/escape/precious', body: 'x' },
    ], "layer entry 'go_up/escape' would be written through symlink 'go_up'");
    await refused([
      { type: 'symlink', name: 'escape', target: sentinel },
      { type: 'file', name: 'escape/precious', body: 'x' },
    ], "layer entry 'escape/precious' would be written through symlink 'escape'");
  });
});

describe('5. layer 1 etc -> /host/dir, layer 2 etc/f', () => {
  it('writes f inside the root, where the link resolves to in a chroot', async () => {
    const [, l2] = await stack([{ type: 'symlink', name: 'etc', target: sentinel }], [{ type: 'file', name: 'etc/f', body: 'mine' }]);
    expect(await readFile(path.join(l2, inRoot(), 'f'), 'utf8')).toBe('mine');
    // the missing directories on the way are plain 0755 root:root; etc itself stays the lower symlink
    expect((await tree(l2))[0]).toBe(`${inRoot().split('/')[0]} d 755 0:0`);
    expect(await tree(l2)).not.toContain('etc d 755 0:0');
  });
});

describe('6. layer 1 bin -> usr/bin, layer 2 bin/foo', () => {
  it('puts foo in usr/bin, with usr and usr/bin as layer 1 has them', async () => {
    const [l1, l2] = await stack([
      { type: 'dir', name: 'usr/', mode: 0o751, uid: 7, gid: 8, mtime: 1500000000 },
      { type: 'dir', name: 'usr/bin/', mode: 0o750, uid: 9, gid: 10, mtime: 1500000001 },
      { type: 'file', name: 'usr/bin/ls', body: 'ls' },
      { type: 'symlink', name: 'bin', target: 'usr/bin' },
    ], [{ type: 'file', name: 'bin/foo', body: 'foo', mode: 0o755 }]);
    expect(await tree(l2)).toEqual(['usr d 751 7:8', 'usr/bin d 750 9:10', 'usr/bin/foo f 755 0:0']);
    expect((await stat(path.join(l2, 'usr/bin'))).mtimeMs).toBe(1500000001000);
    await merged([l1, l2], async root => {
      expect((await readdir(path.join(root, 'bin'))).sort()).toEqual(['foo', 'ls']);
      expect(await readlink(path.join(root, 'bin'))).toBe('usr/bin');
    });
  });

  it('follows a lower absolute symlink chain with .. clamped at the root', async () => {
    const [, l2] = await stack([
      { type: 'dir', name: 'usr/lib/' },
      { type: 'symlink', name: 'lib', target: '/../../usr/./lib' },
      { type: 'symlink', name: 'lib64', target: 'lib' },
    ], [{ type: 'file', name: 'lib64/x.so', body: 'so' }]);
    expect(await tree(l2)).toEqual(['usr d 755 0:0', 'usr/lib d 755 0:0', 'usr/lib/x.so f 644 0:0']);
  });

  it('refuses a lower symlink loop', async () => {
    const [l1] = await stack([{ type: 'symlink', name: 'a', target: 'b' }, { type: 'symlink', name: 'b', target: 'a' }]);
    await refused([{ type: 'file', name: 'a/x', body: '' }], "layer entry 'a/x' would be written through too many symlinks of lower layers, at 'a'", [l1]);
  });
});

describe('7. hardlinks to absolute paths or with ..', () => {
  it('resolves an absolute target inside the root, never on the host', async () => {
    const host = await stat('/etc/passwd');
    const { dir } = await unpack([
      { type: 'file', name: 'etc/passwd', body: 'root:x:0:0\n' },
      { type: 'hardlink', name: 'h', target: '/etc/passwd' },
    ]);
    expect((await stat(path.join(dir, 'h'))).ino).toBe((await stat(path.join(dir, 'etc/passwd'))).ino);
    expect((await stat('/etc/passwd')).nlink).toBe(host.nlink);
    await refused([{ type: 'hardlink', name: 'h', target: path.join(sentinel, 'precious') }],
      `layer entry 'h' is a hardlink to '${path.join(sentinel, 'precious')}', which does not exist`);
  });

  it('refuses a target that climbs out', async () => {
    await refused([{ type: 'hardlink', name: 'h', target: '../sentinel/precious' }], "layer entry 'h' is a hardlink to '../sentinel/precious', which escapes the root");
  });

  it('refuses hardlinks to directories, to the root and to themselves', async () => {
    await refused([{ type: 'dir', name: 'd/' }, { type: 'hardlink', name: 'h', target: 'd' }], "layer entry 'h' is a hardlink to directory 'd'");
    await refused([{ type: 'hardlink', name: 'h', target: './' }], "layer entry 'h' is a hardlink to the root directory");
    await refused([{ type: 'file', name: 'h', body: '' }, { type: 'hardlink', name: 'h', target: 'h' }], "layer entry 'h' is a hardlink to itself");
  });
});

describe('8. chains of climbing symlinks, then a hardlink or file through them', () => {
  const chain: TarEntry[] = [
    { type: 'dir', name: 'c/' },
    { type: 'symlink', name: 'c/up', target: '../..' },
    { type: 'symlink', name: 'escape', target: 'c/up/../..' },
  ];

  it('refuses in the same layer', async () => {
    await refused([...chain, { type: 'hardlink', name: 'h', target: `escape/${inRoot()}/precious` }], "hardlink 'h' would be resolved through symlink 'escape'");
    await refused([...chain, { type: 'file', name: 'escape/x', body: '' }], "layer entry 'escape/x' would be written through symlink 'escape'");
  });

  it('from a lower layer, resolves them inside the root', async () => {
    const [l1] = await stack(chain);
    await refused([{ type: 'hardlink', name: 'h', target: `escape/${inRoot()}/precious` }], `layer entry 'h' is a hardlink to 'escape/${inRoot()}/precious', which does not exist`, [l1]);
    // escape resolves to the root: x lands at the top of the layer
    const { dir } = await unpack([{ type: 'file', name: 'escape/x', body: 'x' }, { type: 'file', name: 'c/up/y', body: 'y' }], [l1]);
    expect(await tree(dir)).toEqual(['x f 644 0:0', 'y f 644 0:0']);
  });
});

describe('9. the root entry', () => {
  it('refuses . / and ./ of any type but a directory', async () => {
    await refused([{ type: 'symlink', name: './', target: sentinel }], 'refusing to change the type of the root');
    await refused([{ type: 'symlink', name: '.', target: sentinel }], 'refusing to change the type of the root');
    await refused([{ type: 'file', name: '/', body: 'x' }], 'refusing to change the type of the root');
    await refused([{ type: 'hardlink', name: '//', target: 'x' }], 'refusing to change the type of the root');
  });

  it('takes the metadata of a root directory entry', async () => {
    const { dir } = await unpack([{ type: 'dir', name: './', mode: 0o700, uid: 3, gid: 4, mtime: 1234567890, xattrs: { 'user.root': 'yes' } }, { type: 'file', name: 'f', body: '' }]);
    const st = await stat(dir);
    expect([st.mode & 0o7777, st.uid, st.gid, st.mtimeMs]).toEqual([0o700, 3, 4, 1234567890000]);
    expect(await xattrs(dir)).toBe('user.root="yes"');
  });
});

describe('10. whiteout names and places', () => {
  it('refuses .wh., .wh.. and .wh...', async () => {
    for (const name of ['.wh.', 'd/.wh..', '.wh...']) await refused([{ type: 'file', name, body: '' }], `invalid whiteout name '${name}'`);
    await refused([{ type: 'file', name: 'a/../../.wh.sentinel', body: '' }], "layer entry 'a/../../.wh.sentinel' escapes the root");
  });

  it('refuses a whiteout under a symlink of the same layer', async () => {
    await refused([{ type: 'symlink', name: 'link', target: sentinel }, { type: 'file', name: 'link/.wh.precious', body: '' }],
      "whiteout 'link/.wh.precious' would be applied through symlink 'link'");
  });

  it('under a symlink from a lower layer: resolved inside the root, where there is nothing to hide', async () => {
    const [l1, l2] = await stack([{ type: 'symlink', name: 'link', target: sentinel }], [{ type: 'file', name: 'link/.wh.precious', body: '' }]);
    expect(await tree(l2)).toEqual([]);
    await merged([l1, l2], async root => expect(await readlink(path.join(root, 'link'))).toBe(sentinel));
  });

  it('under a relative symlink from a lower layer: hides the file the link leads to', async () => {
    const [l1, l2] = await stack([
      { type: 'dir', name: 'usr/lib/' }, { type: 'file', name: 'usr/lib/x', body: 'x' }, { type: 'file', name: 'usr/lib/y', body: 'y' },
      { type: 'symlink', name: 'lib', target: 'usr/lib' },
    ], [{ type: 'file', name: 'lib/.wh.x', body: '' }]);
    expect(await tree(l2)).toEqual(['usr d 755 0:0', 'usr/lib d 755 0:0', 'usr/lib/x c 644 0:0']);
    expect((await lstat(path.join(l2, 'usr/lib/x'))).rdev).toBe(0);
    await merged([l1, l2], async root => expect(await readdir(path.join(root, 'lib'))).toEqual(['y']));
  });

  it('an opaque marker under a lower-layer symlink makes a directory inside the root, nothing on the host', async () => {
    const [, l2] = await stack([{ type: 'symlink', name: 'link', target: sentinel }], [{ type: 'file', name: 'link/.wh..wh..opq', body: '' }]);
    expect(await xattrs(path.join(l2, inRoot()))).toBe('trusted.overlay.opaque="y"');
    expect(await tree(l2)).not.toContain('link');
  });

  it('never applies a recorded whiteout or opaque marker through a symlink that replaced its directory later in the layer', async () => {
    const [l1] = await stack([
      { type: 'dir', name: 'd/' }, { type: 'dir', name: 'd/dir/' }, { type: 'file', name: 'd/precious', body: '' },
      { type: 'dir', name: 'e/' }, { type: 'dir', name: 'e/dir/' },
    ]);
    const { dir } = await unpack([
      { type: 'file', name: 'd/.wh.precious', body: '' },
      { type: 'file', name: 'd/dir/.wh..wh..opq', body: '' },
      { type: 'symlink', name: 'd', target: sentinel },
      { type: 'file', name: 'e/.wh.dir', body: '' },
      { type: 'symlink', name: 'e', target: sentinel },
    ], [l1]);
    expect(await tree(dir)).toEqual([`d l 777 0:0 ${sentinel}`, `e l 777 0:0 ${sentinel}`]);
  });

  it('skips whiteouts of what no lower layer has, and AUFS metadata', async () => {
    const [, l2] = await stack([{ type: 'file', name: 'a', body: '' }],
      [{ type: 'file', name: '.wh.nothing', body: '' }, { type: 'file', name: 'none/.wh.x', body: '' }, { type: 'file', name: '.wh..wh.aufs', body: '' },
        { type: 'dir', name: '.wh..wh.plnk/' }, { type: 'file', name: '.wh.a', body: '' }]);
    expect(await tree(l2)).toEqual(['a c 644 0:0']);
  });
});

describe('11. opaque and plain whiteouts in one layer (OCI: they only hide lower layers)', () => {
  it('keeps what the same layer adds, whatever the order', async () => {
    const [l1, l2] = await stack([
      { type: 'dir', name: 'd/' }, { type: 'file', name: 'd/a', body: '' }, { type: 'dir', name: 'd/sub/' }, { type: 'file', name: 'd/sub/b', body: '' },
      { type: 'dir', name: 'e/' }, { type: 'file', name: 'e/old', body: '' },
      { type: 'dir', name: 'f/' }, { type: 'file', name: 'f/old', body: '' },
      { type: 'file', name: 'g', body: 'lower g' },
      { type: 'file', name: 'keep', body: '' },
    ], [
      { type: 'file', name: 'd/new', body: '' }, { type: 'file', name: 'd/.wh..wh..opq', body: '' },
      { type: 'file', name: '.wh.e', body: '' }, { type: 'file', name: 'e/y', body: '' },
      { type: 'file', name: 'f/z', body: '' }, { type: 'file', name: '.wh.f', body: '' },
      { type: 'file', name: 'g', body: 'upper g' }, { type: 'file', name: '.wh.g', body: '' },
      { type: 'file', name: 'o/.wh..wh..opq', body: '' },
    ]);
    for (const d of ['d', 'e', 'f', 'o']) expect(await xattrs(path.join(l2, d)), d).toBe('trusted.overlay.opaque="y"');
    await merged([l1, l2], async root => {
      expect((await readdir(root)).sort()).toEqual(['d', 'e', 'f', 'g', 'keep', 'o']);
      expect(await readdir(path.join(root, 'd'))).toEqual(['new']);
      expect(await readdir(path.join(root, 'e'))).toEqual(['y']);
      expect(await readdir(path.join(root, 'f'))).toEqual(['z']);
      expect(await readFile(path.join(root, 'g'), 'utf8')).toBe('upper g');
    });
  });

  it('an opaque root hides every lower entry', async () => {
    const [l1, l2] = await stack([{ type: 'file', name: 'a', body: '' }, { type: 'dir', name: 'b/' }, { type: 'file', name: 'b/x', body: '' }],
      [{ type: 'file', name: '.wh..wh..opq', body: '' }, { type: 'file', name: 'b/y', body: '' }, { type: 'file', name: 'c', body: '' }]);
    await merged([l1, l2], async root => {
      expect((await readdir(root)).sort()).toEqual(['b', 'c']);
      expect(await readdir(path.join(root, 'b'))).toEqual(['y']);
    });
  });

  it('drops trusted.* and security.selinux from the image, keeps user.* and security.capability', async () => {
    const { dir, stats } = await unpack([
      { type: 'dir', name: 'o/', xattrs: { 'trusted.overlay.opaque': 'y', 'user.d': 'dir' } },
      { type: 'file', name: 'o/f', body: '', xattrs: { 'trusted.overlay.redirect': '/etc', 'security.selinux': 'system_u:object_r:etc_t:s0', 'user.f': 'file' } },
    ]);
    expect(stats.droppedXattrs).toBe(3);
    expect(await xattrs(path.join(dir, 'o'))).toBe('user.d="dir"');
    expect(await xattrs(path.join(dir, 'o/f'))).toBe('user.f="file"');
  });
});

describe('12. device nodes and FIFOs', () => {
  it('skips devices (also huge numbers and fake 0:0 whiteouts) and creates FIFOs', async () => {
    const { dir, stats } = await unpack([
      { type: 'char', name: 'dev/mem', major: 1, minor: 1 },
      { type: 'block', name: 'dev/sda', major: 8, minor: 0 },
      { type: 'char', name: 'huge', major: 0o7777777, minor: 0o7777777 },
      { type: 'char', name: 'fake-whiteout', major: 0, minor: 0 },
      { type: 'fifo', name: 'run/pipe', mode: 0o620 },
    ]);
    expect(stats.skippedDevices).toBe(4);
    expect(await tree(dir)).toEqual(['run d 755 0:0', 'run/pipe p 620 0:0']);
  });
});

describe('13. very deep nesting', () => {
  it('refuses more than 512 levels and names over 4096 bytes', async () => {
    await refused([{ type: 'file', name: 'a/'.repeat(600) + 'f', body: '' }], /is nested deeper than 512 directories/ as unknown as string);
    await refused([{ type: 'file', name: 'a/'.repeat(3000) + 'f', body: '' }], /is longer than 4096 bytes/ as unknown as string);
    await refused([{ type: 'dir', name: `${'b'.repeat(255)}/`.repeat(20) }], /is longer than 4096 bytes/ as unknown as string);
  });
});

describe('14. decompression bombs', () => {
  it('unpacks what fits on the disk (documented: bounded by the disk, the caller removes the directory on error)', async () => {
    const bomb = buildLayer([{ type: 'file', name: 'zeros', body: Buffer.alloc(32 * 1024 * 1024) }]);
    expect(bomb.gz.length).toBeLessThan(64 * 1024);
    const dir = path.join(t, 'layers', 'bomb');
    await mkdir(dir);
    let seen = 0;
    const stats = await unpackLayer(Readable.from([bomb.gz]).pipe(decompressStream(MEDIA.ociLayerGzip)!), dir, { onBytes: b => { seen += b; } });
    expect(stats).toMatchObject({ diffId: bomb.diffId, bytes: bomb.tar.length, entries: 1 });
    expect(seen).toBe(bomb.tar.length);
    expect((await stat(path.join(dir, 'zeros'))).size).toBe(32 * 1024 * 1024);
  });
});

describe('15. truncated gzip, non-tar blobs, unknown compression', () => {
  const through = async (blob: Buffer, mediaType: string) => {
    const dir = path.join(t, 'layers', `blob${++n}`);
    await mkdir(dir);
    const d = decompressStream(mediaType);
    const consume = async (src: AsyncIterable<Buffer>) => { await unpackLayer(src, dir); };
    if (d) await pipeline(Readable.from([blob]), d, consume);
    else await pipeline(Readable.from([blob]), consume);
  };
  const layer = buildLayer([{ type: 'file', name: 'big', body: Buffer.alloc(200_000, 7) }, { type: 'file', name: 'after', body: 'x' }]);

  it('errors on a truncated gzip, without hanging', async () => {
    await expect(through(layer.gz.subarray(0, layer.gz.length - 40), MEDIA.ociLayerGzip)).rejects.toThrow(/unexpected end of file/);
  });

  it('errors on a truncated plain tar', async () => {
    await expect(through(layer.tar.subarray(0, 100_000), MEDIA.ociLayerTar)).rejects.toThrow('truncated tar archive');
  });

  it('errors on blobs that are not tar archives', async () => {
    await expect(through(Buffer.from('{"schemaVersion": 2}\n'.repeat(100)), MEDIA.ociLayerTar)).rejects.toThrow('corrupt tar header at offset 0');
    await expect(through(gzipSync(Buffer.from('not a tar'.repeat(200))), MEDIA.ociLayerGzip)).rejects.toThrow('corrupt tar header at offset 0');
    await expect(through(Buffer.from('plain text, not gzip'), MEDIA.ociLayerGzip)).rejects.toThrow(/incorrect header check/);
  });

  it('refuses zstd and unknown media types before reading anything', () => {
    expect(() => decompressStream(MEDIA.ociLayerZstd)).toThrow('layer compression zstd (application/vnd.oci.image.layer.v1.tar+zstd) is not supported');
    expect(() => decompressStream('application/octet-stream')).toThrow('unsupported layer media type application/octet-stream');
    expect(decompressStream(MEDIA.dockerLayerGzip)).not.toBeNull();
    expect(decompressStream(MEDIA.ociLayerTar)).toBeNull();
  });
});

describe('the unpacking rules', () => {
  it('returns the diffId and size of the whole stream and counts entries', async () => {
    const l = buildLayer([{ type: 'file', name: 'a', body: 'x' }, { type: 'dir', name: 'd/' }]);
    const withTrailer = Buffer.concat([l.tar, Buffer.alloc(4096)]);
    const dir = path.join(t, 'layers', 'ids');
    await mkdir(dir);
    const stats = await unpackLayer(chunks(withTrailer, 1000), dir);
    expect(stats).toEqual({ diffId: `sha256:${createHash('sha256').update(withTrailer).digest('hex')}`, bytes: withTrailer.length, entries: 2, skippedDevices: 0, droppedXattrs: 0 });
  });

  it('refuses a destination that is not an empty directory', async () => {
    await expect(unpackLayer(chunks(buildTar([])), sentinel)).rejects.toThrow(`cannot unpack a layer into ${sentinel}: not empty`);
  });

  it('writes files, directories and symlinks with their metadata; setuid survives chown; dir mtimes are set last', async () => {
    const { dir } = await unpack([
      { type: 'dir', name: 'd/', mode: 0o2775, uid: 1000, gid: 1000, mtime: 1000000000 },
      { type: 'file', name: 'd/suid', body: '#!/bin/sh\n', mode: 0o4755, uid: 1000, gid: 1000, mtime: 1100000000 },
      { type: 'file', name: 'd/odd', body: 'o', mode: 0o1604, uid: 65534, gid: 5 },
      { type: 'symlink', name: 'd/abs', target: '/etc/shadow', uid: 1000, gid: 1001, mtime: 1200000000 },
      { type: 'symlink', name: 'd/rel', target: '../d/odd' },
    ]);
    expect(await tree(dir)).toEqual(['d d 2775 1000:1000', 'd/abs l 777 1000:1001 /etc/shadow', 'd/odd f 1604 65534:5', 'd/rel l 777 0:0 ../d/odd', 'd/suid f 4755 1000:1000']);
    expect((await stat(path.join(dir, 'd'))).mtimeMs).toBe(1000000000000);
    expect((await stat(path.join(dir, 'd/suid'))).mtimeMs).toBe(1100000000000);
    expect((await lstat(path.join(dir, 'd/abs'))).mtimeMs).toBe(1200000000000);
  });

  it('replaces existing entries: dir over dir updates, anything else is removed first', async () => {
    const { dir } = await unpack([
      { type: 'dir', name: 'd/', mode: 0o700 }, { type: 'file', name: 'd/keep', body: 'k' },
      { type: 'dir', name: 'd/', mode: 0o755, uid: 4 },
      { type: 'dir', name: 'x/' }, { type: 'file', name: 'x/gone', body: '' },
      { type: 'file', name: 'x', body: 'now a file' },
      { type: 'file', name: 'y', body: 'file' },
      { type: 'dir', name: 'y/' },
      { type: 'symlink', name: 'z', target: 'somewhere' },
      { type: 'file', name: 'z', body: 'not through the link' },
    ]);
    expect(await tree(dir)).toEqual(['d d 755 4:0', 'd/keep f 644 0:0', 'x f 644 0:0', 'y d 755 0:0', 'z f 644 0:0']);
  });

  it('a directory replaced within a layer hides the lower content it merged with', async () => {
    const [l1, l2] = await stack([{ type: 'dir', name: 'd/' }, { type: 'file', name: 'd/lower', body: '' }],
      [{ type: 'dir', name: 'd/' }, { type: 'file', name: 'd', body: '' }, { type: 'dir', name: 'd/' }, { type: 'file', name: 'd/upper', body: '' }]);
    await merged([l1, l2], async root => expect(await readdir(path.join(root, 'd'))).toEqual(['upper']));
  });

  it('creates missing parents 0755 root:root, or as the lower layers have them', async () => {
    const [l1, l2] = await stack([{ type: 'dir', name: 'a/', mode: 0o700, uid: 5, gid: 6, xattrs: { 'user.dir': 'lower' } }],
      [{ type: 'file', name: 'a/b/c', body: '' }]);
    expect(await tree(l1)).toEqual(['a d 700 5:6']);
    expect(await tree(l2)).toEqual(['a d 700 5:6', 'a/b d 755 0:0', 'a/b/c f 644 0:0']);
    expect(await xattrs(path.join(l2, 'a'))).toBe('user.dir="lower"');
  });

  it('links hardlinks in the layer; copies targets from lower layers, sharing one copy', async () => {
    const [, l2] = await stack([
      { type: 'file', name: 'usr/bin/tool', body: 'tool', mode: 0o750, uid: 3, gid: 4, mtime: 1300000000, xattrs: { 'user.t': 'v' } },
      { type: 'symlink', name: 'bin', target: 'usr/bin' },
    ], [
      { type: 'file', name: 'own', body: 'own' },
      { type: 'hardlink', name: 'own2', target: './own' },
      { type: 'hardlink', name: 'copy1', target: 'usr/bin/tool' },
      { type: 'hardlink', name: 'copy2', target: '/bin/tool' },
    ]);
    const ino = async (p: string) => (await stat(path.join(l2, p))).ino;
    expect(await ino('own2')).toBe(await ino('own'));
    expect(await ino('copy2')).toBe(await ino('copy1'));
    expect(await tree(l2)).toEqual(['copy1 f 750 3:4', 'copy2 f 750 3:4', 'own f 644 0:0', 'own2 f 644 0:0']);
    expect(await readFile(path.join(l2, 'copy1'), 'utf8')).toBe('tool');
    expect((await stat(path.join(l2, 'copy1'))).mtimeMs).toBe(1300000000000);
    expect(await xattrs(path.join(l2, 'copy1'))).toBe('user.t="v"');
  });

  it('refuses hardlinks to what exists nowhere or what a whiteout hid', async () => {
    const [l1, l2] = await stack([{ type: 'file', name: 'f', body: '' }], [{ type: 'file', name: '.wh.f', body: '' }]);
    await refused([{ type: 'hardlink', name: 'h', target: 'f' }], "layer entry 'h' is a hardlink to 'f', which does not exist", [l2, l1]);
  });

  it('batches whiteouts, FIFOs and xattrs: a few helper processes per layer, not one per entry', async () => {
    const [l1] = await stack(Array.from({ length: 300 }, (_, i) => ({ type: 'file' as const, name: `d/f${i}`, body: '' })));
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    logLevel.debug = true;
    process.stderr.write = ((s: string) => { lines.push(String(s)); return true; }) as typeof process.stderr.write;
    try {
      await unpack([
        ...Array.from({ length: 300 }, (_, i) => ({ type: 'file' as const, name: `d/.wh.f${i}`, body: '' })),
        ...Array.from({ length: 50 }, (_, i) => ({ type: 'fifo' as const, name: `p/fifo${i}` })),
        ...Array.from({ length: 100 }, (_, i) => ({ type: 'file' as const, name: `x/f${i}`, body: '', xattrs: { 'user.i': String(i) } })),
      ], [l1]);
    } finally {
      process.stderr.write = write;
      logLevel.debug = false;
    }
    const spawns = lines.filter(l => l.includes('[debug] '));
    expect(spawns.length).toBeLessThanOrEqual(4);
  });
});
