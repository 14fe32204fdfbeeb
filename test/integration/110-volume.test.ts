import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { execa } from 'execa';
import { racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { buildLayer } from '../helpers/tar-builder.js';
import { RackerError } from '../../src/errors.js';
import { StoreLayout } from '../../src/store/layout.js';
import { ContainerStore } from '../../src/store/container-store.js';
import type { ContainerSpec } from '../../src/model/container.js';
import { unpackLayer } from '../../src/store/unpack/unpack-layer.js';
import { mountOverlay, unmount } from '../../src/runtime/overlay.js';
import { VolumeStore } from '../../src/store/volume-store.js';
import { populateFromImage } from '../../src/runtime/volume-populate.js';
import { containerVolumeUsers } from '../../src/engine/volume-users.js';
import { readProcFile } from '../../src/process.js';

/** racker volume create|ls|inspect|rm|prune, and filling a volume from a real (overlay-mounted) image rootfs. */
let t: Awaited<ReturnType<typeof tempRoot>>;
const rk = (args: string[], opts = {}) => racker(t.root, args, opts);
const lines = (s: string) => s.split('\n').filter(Boolean);

beforeAll(async () => { t = await tempRoot('volume'); });
afterAll(async () => {
  const mounts = (await readProcFile('/proc/self/mounts')).split('\n').filter(l => l.includes(t.root));
  await t.remove();
  expect(mounts).toEqual([]);
});

describe('racker volume', () => {
  it('create prints the name, is idempotent, and inspect shows docker’s fields', async () => {
    const name = uniqueName('vol');
    const first = await rk(['volume', 'create', '--label', 'app=web', '--label', 'tier', name]);
    expect(first).toMatchObject({ exitCode: 0, stdout: name });
    const again = await rk(['volume', 'create', name]);
    expect(again).toMatchObject({ exitCode: 0, stdout: name });
    const info = await rk(['volume', 'inspect', name]);
    expect(info.exitCode).toBe(0);
    const [v] = JSON.parse(info.stdout) as Record<string, unknown>[];
    expect(v).toEqual({
      CreatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), Driver: 'local', Labels: { app: 'web', tier: '' },
      Mountpoint: path.join(t.root, 'volumes', name, '_data'), Name: name, Options: {}, Scope: 'local',
    });
    expect((await stat(v.Mountpoint as string)).isDirectory()).toBe(true);
    const anon = await rk(['volume', 'create']);
    expect(anon.stdout).toMatch(/^[0-9a-f]{64}$/);
    const ls = await rk(['volume', 'ls']);
    expect(lines(ls.stdout)[0]).toMatch(/^DRIVER\s+VOLUME NAME$/);
    expect(ls.stdout).toMatch(new RegExp(`^local\\s+${name}$`, 'm'));
    const json = lines((await rk(['volume', 'ls', '--format', 'json'])).stdout).map(l => JSON.parse(l) as Record<string, string>);
    expect(json.find(r => r.Name === name)).toMatchObject({ Driver: 'local', Labels: 'app=web,tier=', Scope: 'local', Mountpoint: v.Mountpoint });
    expect(lines((await rk(['volume', 'ls', '-q'])).stdout)).toEqual(expect.arrayContaining([name, anon.stdout]));
    for (const n of [name, anon.stdout]) expect((await rk(['volume', 'rm', n])).stdout).toBe(n);
    expect(lines((await rk(['volume', 'ls', '-q'])).stdout)).not.toContain(name);
  });

  it('bad names, missing volumes and bad flags: one line, exit 125', async () => {
    const bad = await rk(['volume', 'create', '../escape']);
    expect(bad.exitCode).toBe(125);
    expect(bad.stderr).toMatch(/invalid volume name '\.\.\/escape'/);
    expect(await readdir(path.join(t.root, 'volumes'))).not.toContain('escape');
    for (const args of [['volume', 'inspect', 'no-such-vol'], ['volume', 'rm', 'no-such-vol']]) {
      const r = await rk(args);
      expect(r.exitCode, args.join(' ')).toBe(125);
      expect(r.stderr).toMatch(/No such volume: no-such-vol/);
    }
    expect(await rk(['volume', 'rm', '-f', 'no-such-vol'])).toMatchObject({ exitCode: 0, stdout: '' });
    expect((await rk(['volume', 'ls', '--filter', 'dangling=maybe'])).exitCode).toBe(125);
    expect((await rk(['volume', 'ls', '--format', '{{.Name}}'])).exitCode).toBe(125);
    const some = uniqueName('vol');
    await rk(['volume', 'create', some]);
    const mixed = await rk(['volume', 'inspect', some, 'no-such-vol']);
    expect(mixed.exitCode).toBe(1);
    expect((JSON.parse(mixed.stdout) as { Name: string }[]).map(v => v.Name)).toEqual([some]);
    await rk(['volume', 'rm', some]);
  });

  it('a volume a container record names is in use: rm refuses, prune keeps it, dangling filters it out', async () => {
    const used = uniqueName('used');
    const free = uniqueName('free');
    await rk(['volume', 'create', used]);
    await rk(['volume', 'create', free]);
    const containers = new ContainerStore(new StoreLayout(t.root));
    const cname = uniqueName('user');
    const spec = {
      mode: 'app', image: 'sha256:' + 'a'.repeat(64), imageName: 'x', command: ['true'], env: [], volumes: [], tty: false, interactive: false,
      name: cname, autoRemove: false, stopTimeout: 10, bootTimeout: 60,
      mounts: [{ kind: 'volume', name: used, target: '/data', readOnly: false, anonymous: false, noCopy: false }],
    } as ContainerSpec;
    const rec = await containers.create(spec, []);
    try {
      expect(await containerVolumeUsers(containers)(used)).toEqual([cname]);
      expect(await containerVolumeUsers(containers)(free)).toEqual([]);
      const r = await rk(['volume', 'rm', used]);
      expect(r.exitCode).toBe(125);
      expect(r.stderr).toContain(`remove ${used}: volume is in use - [${cname}]`);
      const dangling = lines((await rk(['volume', 'ls', '-q', '--filter', 'dangling=true'])).stdout);
      expect(dangling).toContain(free);
      expect(dangling).not.toContain(used);
      expect(lines((await rk(['volume', 'ls', '-q', '--filter', 'dangling=false'])).stdout)).toEqual([used]);
      const pruned = await rk(['volume', 'prune', '-a', '-f']);
      expect(pruned.exitCode).toBe(0);
      expect(pruned.stdout).toContain(free);
      expect(pruned.stdout).not.toContain(used);
      expect(lines((await rk(['volume', 'ls', '-q'])).stdout)).toEqual([used]);
    } finally {
      await containers.remove(rec.id);
    }
    expect((await rk(['volume', 'rm', used])).exitCode).toBe(0);
  });

  it('prune: anonymous unused volumes only, -a all unused; without -f it asks and a no keeps everything', async () => {
    const named = uniqueName('keep');
    await rk(['volume', 'create', named]);
    const anon = (await new VolumeStore(new StoreLayout(t.root)).create({ anonymous: true })).volume;
    await writeFile(path.join(anon.Mountpoint, 'junk'), 'x'.repeat(2000));
    const asked = await rk(['volume', 'prune'], { input: 'n\n' });
    expect(asked.exitCode).toBe(0);
    expect(asked.stderr).toContain('Are you sure you want to continue? [y/N]');
    expect(lines((await rk(['volume', 'ls', '-q'])).stdout).sort()).toEqual([anon.Name, named].sort());
    const yes = await rk(['volume', 'prune'], { input: 'y\n' });
    expect(yes.stdout).toBe(`Deleted Volumes:\n${anon.Name}\n\nTotal reclaimed space: 2.00kB`);
    expect(lines((await rk(['volume', 'ls', '-q'])).stdout)).toEqual([named]);
    expect((await rk(['volume', 'prune', '-f'])).stdout).toBe('Total reclaimed space: 0B');
    expect((await rk(['volume', 'prune', '-a', '-f'])).stdout).toContain(`Deleted Volumes:\n${named}\n`);
    expect(lines((await rk(['volume', 'ls', '-q'])).stdout)).toEqual([]);
  });
});

describe('populateFromImage on an overlay-mounted image rootfs', () => {
  let work: string;
  let rootfs: string;
  let hostDir: string;
  let volumes: VolumeStore;

  beforeAll(async () => {
    // a host directory with a secret: an image symlink naming it must never be followed
    hostDir = await mkdtemp(path.join(tmpdir(), 'racker-test-volume-host-'));
    await writeFile(path.join(hostDir, 'secret'), 'host secret');
    work = await mkdtemp(path.join(tmpdir(), 'racker-test-volume-img-'));
    const base = buildLayer([
      { type: 'dir', name: 'etc/', mode: 0o755 },
      { type: 'file', name: 'etc/image-only', body: 'from the image' },
      { type: 'dir', name: 'srv/', mode: 0o755 },
      { type: 'dir', name: 'srv/data/', mode: 0o2750, uid: 1000, gid: 1001, xattrs: { 'user.dir': 'd' } },
      { type: 'file', name: 'srv/data/app.conf', body: 'port=80\n', mode: 0o640, uid: 1000, gid: 1001, mtime: 1_600_000_000, xattrs: { 'user.note': 'kept' } },
      { type: 'hardlink', name: 'srv/data/app.hard', target: 'srv/data/app.conf' },
      { type: 'dir', name: 'srv/data/sub/', mode: 0o700, uid: 7, gid: 8 },
      { type: 'file', name: 'srv/data/sub/deep', body: 'deep', mode: 0o4755 },
      { type: 'file', name: 'srv/data/gone', body: 'whited out by the next layer' },
      { type: 'symlink', name: 'srv/data/to-host', target: hostDir },
      { type: 'symlink', name: 'srv/data/to-host-file', target: path.join(hostDir, 'secret') },
      { type: 'symlink', name: 'srv/abs-host', target: hostDir },
      { type: 'symlink', name: 'srv/climb', target: `../../../../../../..${hostDir}` },
      { type: 'symlink', name: 'srv/etc-link', target: '/etc' },
      { type: 'file', name: 'srv/plain-file', body: 'a file' },
    ]);
    const top = buildLayer([{ type: 'file', name: 'srv/data/.wh.gone', body: '' }, { type: 'file', name: 'srv/data/added', body: 'upper layer' }]);
    const lowers: string[] = [];
    for (const [i, layer] of [base, top].entries()) {
      const fs = path.join(work, 'layers', String(i), 'fs');
      await mkdir(fs, { recursive: true });
      await unpackLayer(Readable.from([layer.tar]), fs, { lowerDirs: [...lowers] });
      lowers.unshift(fs);
    }
    rootfs = path.join(work, 'rootfs');
    await mountOverlay({ lowers, upper: path.join(work, 'upper'), work: path.join(work, 'work'), target: rootfs });
    volumes = new VolumeStore(new StoreLayout(path.join(work, 'store')));
  });

  afterAll(async () => {
    if (rootfs) await unmount(rootfs).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
    await rm(hostDir, { recursive: true, force: true });
  });

  const newVolume = async () => (await volumes.create({ name: uniqueName('fill') })).volume;
  const record = async (name: string) => JSON.parse(await readFile(path.join(path.dirname(volumes.dataDir(name)), 'volume.json'), 'utf8')) as { Populated?: boolean };

  it('copies the image content with owners, modes, times, xattrs and hardlinks; symlinks stay symlinks', async () => {
    const v = await newVolume();
    expect(await populateFromImage(v.Mountpoint, rootfs, '/srv/data')).toBe(true);
    const d = v.Mountpoint;
    expect((await readdir(d)).sort()).toEqual(['added', 'app.conf', 'app.hard', 'sub', 'to-host', 'to-host-file']);
    const root = await stat(d);
    expect([root.uid, root.gid, root.mode & 0o7777]).toEqual([1000, 1001, 0o2750]);
    const conf = await stat(path.join(d, 'app.conf'));
    expect([conf.uid, conf.gid, conf.mode & 0o7777, conf.mtimeMs]).toEqual([1000, 1001, 0o640, 1_600_000_000_000]);
    expect(await readFile(path.join(d, 'app.conf'), 'utf8')).toBe('port=80\n');
    expect((await stat(path.join(d, 'app.hard'))).ino).toBe(conf.ino);
    const sub = await stat(path.join(d, 'sub'));
    expect([sub.uid, sub.gid, sub.mode & 0o7777]).toEqual([7, 8, 0o700]);
    expect((await stat(path.join(d, 'sub', 'deep'))).mode & 0o7777).toBe(0o4755);
    expect(await readFile(path.join(d, 'added'), 'utf8')).toBe('upper layer');
    const xattr = await execa('getfattr', ['-h', '--only-values', '-n', 'user.note', path.join(d, 'app.conf')]);
    expect(xattr.stdout).toBe('kept');
    for (const [link, target] of [['to-host', hostDir], ['to-host-file', path.join(hostDir, 'secret')]]) {
      expect((await lstat(path.join(d, link))).isSymbolicLink(), link).toBe(true);
      expect(await readlink(path.join(d, link))).toBe(target);
    }
    expect((await record(v.Name)).Populated).toBe(true);
  });

  it('happens once: a volume emptied after filling is not filled again; a volume with content is left alone', async () => {
    const v = await newVolume();
    expect(await populateFromImage(v.Mountpoint, rootfs, '/srv/data')).toBe(true);
    for (const e of await readdir(v.Mountpoint)) await rm(path.join(v.Mountpoint, e), { recursive: true });
    expect(await populateFromImage(v.Mountpoint, rootfs, '/srv/data')).toBe(false);
    expect(await readdir(v.Mountpoint)).toEqual([]);
    const own = await newVolume();
    await writeFile(path.join(own.Mountpoint, 'mine'), 'user data');
    expect(await populateFromImage(own.Mountpoint, rootfs, '/srv/data')).toBe(false);
    expect(await readdir(own.Mountpoint)).toEqual(['mine']);
    expect((await record(own.Name)).Populated).toBe(true);
  });

  it('a mount path that is a symlink resolves inside the rootfs, never to the host', async () => {
    for (const p of ['/srv/abs-host', '/srv/climb', `${hostDir}`]) {
      const v = await newVolume();
      expect(await populateFromImage(v.Mountpoint, rootfs, p), p).toBe(false);
      expect(await readdir(v.Mountpoint), p).toEqual([]);
      // nothing was there in the image: the volume can still be filled by a later use
      expect((await record(v.Name)).Populated, p).toBeUndefined();
    }
    const etc = await newVolume();
    expect(await populateFromImage(etc.Mountpoint, rootfs, '/srv/etc-link')).toBe(true);
    expect(await readdir(etc.Mountpoint)).toEqual(['image-only']);
    expect(await readFile(path.join(etc.Mountpoint, 'image-only'), 'utf8')).toBe('from the image');
  });

  it('a file at the mount path is refused with 125; a missing path copies nothing', async () => {
    const v = await newVolume();
    const err = await populateFromImage(v.Mountpoint, rootfs, '/srv/plain-file').catch(e => e as RackerError);
    expect(err).toBeInstanceOf(RackerError);
    expect((err as RackerError).exitCode).toBe(125);
    expect((err as RackerError).message).toMatch(/the image has a file there/);
    expect(await populateFromImage(v.Mountpoint, rootfs, '/no/such/dir')).toBe(false);
    expect(await populateFromImage(v.Mountpoint, rootfs, '/srv/data')).toBe(true);
    expect(await readdir(path.dirname(v.Mountpoint))).toEqual(expect.not.arrayContaining([expect.stringMatching(/^\.fill/)]));
    const stray = path.join(work, 'not-a-volume', '_data');
    await mkdir(stray, { recursive: true });
    await expect(populateFromImage(stray, rootfs, '/srv/data')).rejects.toThrow(/is not the data directory of a racker volume/);
    expect(await readdir(stray)).toEqual([]);
  });
});
