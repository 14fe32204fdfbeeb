import { createHash } from 'node:crypto';
import { lstat, readFile, rename, rm, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { RackerError } from '../errors.js';
import { shown } from '../untrusted.js';
import { run, spawnAttached } from '../process.js';
import { status, verbose } from '../log.js';
import type { ImageStore, LayerRecord } from '../store/image-store.js';
import type { ImageRecord } from '../model/image.js';
import type { ContainerStore } from '../store/container-store.js';
import { writeFileAtomic } from '../atomic.js';
import { withLock } from '../lock.js';
import { mountContainer, writeIdentityFiles } from './container-setup.js';
import { buildNspawnArgs } from './nspawn-args.js';
import { resolveInRoot } from './rootfs-path.js';
import { systemdIsPid1 } from './host.js';

/**
 * One package manager: how to find it in an image, and a fixed script that
 * installs systemd and the tools probes use. The scripts are constants: no
 * user input ever reaches them.
 */
interface PackageManager { name: string; binary: string; script: string }

const PACKAGE_MANAGERS: PackageManager[] = [
  { name: 'apt', binary: '/usr/bin/apt-get', script: 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends systemd systemd-sysv dbus procps curl ca-certificates iproute2 >/dev/null && apt-get clean' },
  { name: 'dnf', binary: '/usr/bin/dnf', script: 'dnf -y -q install systemd procps-ng curl iproute && dnf clean all' },
  { name: 'microdnf', binary: '/usr/bin/microdnf', script: 'microdnf -y install systemd procps-ng curl iproute && microdnf clean all' },
  { name: 'yum', binary: '/usr/bin/yum', script: 'yum -y -q install systemd procps-ng curl iproute && yum clean all' },
  { name: 'zypper', binary: '/usr/bin/zypper', script: 'zypper -n -q install systemd procps curl iproute2 && zypper clean -a' },
  { name: 'pacman', binary: '/usr/bin/pacman', script: 'pacman -Sy --noconfirm --needed systemd procps-ng curl iproute2 && pacman -Scc --noconfirm' },
];

async function existsInRoot(rootfs: string, p: string): Promise<boolean> {
  return lstat(await resolveInRoot(rootfs, p)).then(st => st.isFile(), () => false);
}

async function osName(rootfs: string): Promise<string | undefined> {
  for (const p of ['/etc/os-release', '/usr/lib/os-release']) {
    const file = await resolveInRoot(rootfs, p);
    const st = await lstat(file).catch(() => undefined);
    if (!st?.isFile() || st.size > 65536) continue;
    const text = await readFile(file, 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? /^ID="?([^"\n]*)"?/m.exec(text)?.[1] ?? 'an unnamed OS';
  }
  return undefined;
}

/** Where derived images are named in the store. */
function derivedName(key: string): string {
  return `racker-derived/${key.slice(0, 16)}:latest`;
}

/**
 * Give an image that has an OS but no systemd what boot mode needs, once:
 * install it with the image's own package manager in a provisioning container,
 * and keep the result as a derived image (base layers + one new layer) named
 * by the base image id and the package set, so it is reused until the base
 * changes and then rebuilt, never patched.
 */
export async function provisionSystemd(images: ImageStore, containers: ContainerStore, base: ImageRecord, baseName: string,
  rootfsOfBase: string): Promise<ImageRecord> {
  const os = await osName(rootfsOfBase);
  if (!os) throw new RackerError(`image ${baseName} has no systemd and no /etc/os-release`, { hint: 'boot mode needs an OS image; run it without --boot' });
  let pm: PackageManager | undefined;
  for (const candidate of PACKAGE_MANAGERS) {
    if (await existsInRoot(rootfsOfBase, candidate.binary)) { pm = candidate; break; }
  }
  if (!pm) throw new RackerError(`image ${baseName} (${shown(os)}) has no systemd and no supported package manager to install it`, { hint: `supported: ${PACKAGE_MANAGERS.map(p => p.name).join(', ')}` });

  const key = createHash('sha256').update(`${base.id}\n${pm.script}`).digest('hex');
  const name = derivedName(key);
  return withLock(images.layout.lock(`provision-${key.slice(0, 16)}`), async () => {
    const existing = await images.find(name);
    if (existing) return existing;
    status(`Provisioning ${baseName} (${shown(os)}): installing systemd with ${pm!.name}…`);
    const argv = ['/bin/sh', '-c', pm!.script];
    const rec = await containers.create({
      mode: 'app', image: base.id, imageName: baseName, command: argv, env: [], volumes: [], tty: false, interactive: false,
      autoRemove: true, stopTimeout: 10, bootTimeout: 60,
    }, base.layers);
    const c = await mountContainer(images.layout, containers, rec);
    try {
      await writeIdentityFiles(c.rootfs, 'provision');
      const child = spawnAttached('systemd-nspawn', buildNspawnArgs({
        machine: c.rec.name, directory: c.rootfs, argv, tty: false, binds: [],
        env: [['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']], register: systemdIsPid1(),
      }), 'ignore', 2);
      const code = await child.exit;
      if (code !== 0) throw new RackerError(`provisioning ${baseName} failed: ${pm!.name} exited with ${code}`, { hint: 'see its output above; the network must reach the distribution\'s mirror' });
      if (!(await existsInRoot(c.rootfs, '/usr/lib/systemd/systemd') || await existsInRoot(c.rootfs, '/lib/systemd/systemd'))) {
        throw new RackerError(`provisioning ${baseName} did not install systemd`);
      }
      // the identity files are written anew for every run: keep them out of the layer
      for (const f of ['etc/hostname', 'etc/hosts', 'etc/resolv.conf']) await rm(path.join(c.dir, 'upper', f), { force: true });
      await c.unmount();
      return await commitDerived(images, base, c.dir, key, name);
    } finally {
      await c.release();
    }
  });
}

/** Turn a provisioning container's writable layer into a layer of the store and a new image. */
async function commitDerived(images: ImageStore, base: ImageRecord, containerDir: string, key: string, name: string): Promise<ImageRecord> {
  const layerDigest = `sha256:${createHash('sha256').update(`derived-layer\n${key}`).digest('hex')}`;
  const layerDir = images.layout.layerDir(layerDigest);
  await rm(layerDir, { recursive: true, force: true });
  await mkdir(layerDir, { recursive: true, mode: 0o700 });
  // the upper dir is already in overlayfs layer format (whiteouts, opaque dirs)
  await rename(path.join(containerDir, 'upper'), path.join(layerDir, 'fs'));
  const du = await run('du', ['-sb', path.join(layerDir, 'fs')]);
  const size = Number(String(du.stdout).split('\t')[0]) || 0;
  const layer: LayerRecord = { digest: layerDigest, diffId: layerDigest, mediaType: 'racker/derived-layer', size, unpackedAt: new Date().toISOString() };
  await writeFileAtomic(path.join(layerDir, 'layer.json'), JSON.stringify(layer, null, 2));
  const config = {
    ...base.config,
    config: { ...base.config.config, Labels: { ...(base.config.config?.Labels ?? {}), 'org.racker.derived-from': base.id } },
    rootfs: { type: 'layers' as const, diff_ids: [...base.diffIds, layerDigest] },
  };
  const id = `sha256:${createHash('sha256').update(JSON.stringify(config)).digest('hex')}`;
  const rec: ImageRecord = {
    id, manifestDigest: id, repoDigests: [], layers: [...base.layers, layerDigest], diffIds: config.rootfs.diff_ids,
    config, size: base.size + size, pulledAt: new Date().toISOString(), source: `derived from ${base.id}`,
  };
  await images.writeImage(rec);
  await images.tag([name], id);
  verbose(`derived image ${id} (${name})`);
  return rec;
}
