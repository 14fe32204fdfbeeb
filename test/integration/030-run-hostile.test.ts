import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { racker, tempRoot } from '../helpers/cli.js';
import { writeOciLayout } from '../helpers/oci-layout.js';
import { busyboxLayer } from '../helpers/fixture-images.js';
import { buildLayer, type TarEntry } from '../helpers/tar-builder.js';

/**
 * Images whose files point at host paths: racker's own host-side writes
 * (hostname, hosts, resolv.conf, /usr, workdir, mount points) must land
 * inside the rootfs and never hang.
 */
let t: Awaited<ReturnType<typeof tempRoot>>;
let victim: string;
beforeAll(async () => {
  t = await tempRoot('run-hostile');
  // not under /tmp: systemd-nspawn mounts a fresh tmpfs there inside the container
  victim = await mkdtemp('/var/tmp/racker-test-victim-');
  await writeFile(path.join(victim, 'precious'), 'untouched\n');
});
afterAll(async () => { await t.remove(); await rm(victim, { recursive: true, force: true }); });

async function imageWith(name: string, entries: TarEntry[], config: Record<string, unknown> = {}): Promise<string> {
  const dir = path.join(t.root, 'layouts', name);
  await writeOciLayout(dir, { layers: [busyboxLayer(), buildLayer(entries)], config: { Cmd: ['sh'], ...config }, tag: 'latest' });
  return `oci:${dir}:latest`;
}

async function victimUntouched(): Promise<void> {
  expect((await readdir(victim)).sort()).toEqual(['precious']);
  expect(await readFile(path.join(victim, 'precious'), 'utf8')).toBe('untouched\n');
}

describe('host-side writes resolve inside the rootfs', () => {
  it('/etc/hostname and /etc/hosts as symlinks to host files', async () => {
    const img = await imageWith('hostname-link', [
      { type: 'symlink', name: 'etc/hostname', target: path.join(victim, 'precious') },
      { type: 'symlink', name: 'etc/hosts', target: path.join(victim, 'hosts') },
    ]);
    const r = await racker(t.root, ['run', '--rm', '--hostname', 'boxy', img, 'sh', '-c', 'cat /etc/hostname; hostname; grep -c boxy /etc/hosts']);
    expect(r.stdout.split('\n')).toEqual(['boxy', 'boxy', '1']);
    expect(r.exitCode).toBe(0);
    await victimUntouched();
  });

  it('/etc/resolv.conf as a FIFO does not hang', async () => {
    const img = await imageWith('resolv-fifo', [{ type: 'fifo', name: 'etc/resolv.conf' }]);
    const r = await racker(t.root, ['run', '--rm', img, 'sh', '-c', 'test -f /etc/resolv.conf && echo regular'], { timeout: 30_000 });
    expect(r.stdout).toBe('regular');
    expect(r.exitCode).toBe(0);
  });

  it('/etc itself a symlink to a host directory', async () => {
    const img = await imageWith('etc-link', [{ type: 'symlink', name: 'etc', target: victim }]);
    const r = await racker(t.root, ['run', '--rm', img, 'sh', '-c', 'readlink /etc; cat /etc/hostname']);
    // racker wrote the identity files inside the rootfs, under the link's target
    expect(r.stdout.split('\n')[0]).toBe(victim);
    expect(r.stdout.split('\n')[1]).toMatch(/^[a-f0-9]{12}$/);
    expect(r.exitCode).toBe(0);
    await victimUntouched();
  });

  it('/usr a symlink to a host path is refused before systemd-nspawn looks at it', async () => {
    const img = await imageWith('usr-link', [{ type: 'symlink', name: 'usr', target: path.join(victim, 'usr') }]);
    const r = await racker(t.root, ['run', '--rm', img, 'true']);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain("the image's /usr is not a directory (a symlink)");
    await victimUntouched();
  });

  it('WORKDIR and a volume target that are symlinks to host paths', async () => {
    const img = await imageWith('dir-links', [
      { type: 'symlink', name: 'work', target: path.join(victim, 'w') },
      { type: 'symlink', name: 'mnt', target: victim },
    ], { WorkingDir: '/work/sub' });
    const src = path.join(t.root, 'volsrc');
    await mkdir(src);
    const r = await racker(t.root, ['run', '--rm', '-v', `${src}:/mnt/data`, img, 'sh', '-c', 'pwd; echo hi > /mnt/data/f']);
    // inside the container the link is followed, as the kernel does: the shell reports where it landed
    expect(r.stdout).toBe(path.join(victim, 'w/sub'));
    expect(r.exitCode).toBe(0);
    expect(await readFile(path.join(src, 'f'), 'utf8')).toBe('hi\n');
    await victimUntouched();
    await expect(stat(path.join(victim, 'usr'))).rejects.toThrow();
  });

  it('a file volume whose target is under a symlink to a host directory', async () => {
    const img = await imageWith('file-vol-link', [{ type: 'symlink', name: 'cfg', target: victim }]);
    const src = path.join(t.root, 'file-vol.conf');
    await writeFile(src, 'conf\n');
    const r = await racker(t.root, ['run', '--rm', '-v', `${src}:/cfg/sub/app.conf`, img, 'sh', '-c', `cat ${victim}/sub/app.conf`]);
    // the mount point is made inside the rootfs, under the link's target there
    expect(r.stdout).toBe('conf');
    expect(r.exitCode).toBe(0);
    await victimUntouched();
  });
});
