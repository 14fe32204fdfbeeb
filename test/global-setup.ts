import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { TestProject } from 'vitest/node';
import type { TestRegistry } from './helpers/registry.js';
import { writeOciLayout } from './helpers/oci-layout.js';
import { busyboxImage, multiLayerImage, repeatedLayerImage } from './helpers/fixture-images.js';
import { readProcFile } from '../src/process.js';

declare module 'vitest' {
  export interface ProvidedContext {
    registry: string;
    registryStorage: string;
  }
}

/** What a test run may not leave behind on the machine. */
async function leaks(): Promise<string[]> {
  const found: string[] = [];
  const nspawn = await execa('pgrep', ['-a', '-x', 'systemd-nspawn'], { reject: false });
  if (nspawn.stdout.trim()) found.push(`systemd-nspawn processes: ${nspawn.stdout.trim()}`);
  const helpers = await execa('pgrep', ['-a', '-f', 'net-probe-main\\.js|supervisor-main\\.js --root [^ ]*racker-test-'], { reject: false });
  if (helpers.stdout.trim()) found.push(`racker helper processes: ${helpers.stdout.trim()}`);
  // the cgroups racker makes for a container where PID 1 is not systemd (runtime/cgroups.ts)
  const cgroups = (await execa('find', ['/sys/fs/cgroup', '-maxdepth', '4', '-type', 'd', '-name', 'racker-*'], { reject: false }))
    .stdout.split('\n').filter(d => /\/racker-[0-9a-f]{12}$/.test(d));
  if (cgroups.length) found.push(`cgroups: ${cgroups.join(' ')}`);
  const mounts = (await readProcFile('/proc/self/mounts')).split('\n').filter(l => /racker-test-/.test(l));
  if (mounts.length) found.push(`mounts: ${mounts.join('; ')}`);
  // without CAP_NET_ADMIN (the systemd-host lane's outer container shares the host's network namespace and
  // has not got it) nothing run here can make a link: the ones seen are the host's, made by others meanwhile
  if (await canAdminNetwork()) {
    const links = await execa('ip', ['-o', 'link', 'show'], { reject: false });
    const ours = links.stdout.split('\n').filter(l => /: (ve-|vb-|rk-)/.test(l));
    if (ours.length) found.push(`links: ${ours.join('; ')}`);
  }
  return found;
}

/** CAP_NET_ADMIN (bit 12) in this process's effective capabilities. */
async function canAdminNetwork(): Promise<boolean> {
  const eff = /^CapEff:\s*([0-9a-f]+)$/m.exec(await readFile('/proc/self/status', 'utf8'))?.[1];
  return !eff || (BigInt(`0x${eff}`) & (1n << 12n)) !== 0n;
}

let registry: TestRegistry | undefined;

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const before = await leaks();
  if (before.length) console.warn(`leftovers from before this run: ${before.join(' | ')}`);
  const { startRegistry, pushLayout } = await import('./helpers/registry.js');
  registry = await startRegistry();
  const work = await mkdtemp(path.join(tmpdir(), 'racker-fixtures-'));
  try {
    for (const [name, spec] of [['busybox', busyboxImage()], ['multi', multiLayerImage()], ['repeated', repeatedLayerImage()]] as const) {
      const dir = path.join(work, name);
      await writeOciLayout(dir, spec);
      await pushLayout(registry, dir, spec.tag ?? 'latest', `fixtures/${name}:latest`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  project.provide('registry', registry.host);
  project.provide('registryStorage', registry.storageDir);
  return async () => {
    await registry?.stop();
    const after = (await leaks()).filter(l => !before.includes(l));
    if (after.length) throw new Error(`the test suite left things behind: ${after.join(' | ')}`);
  };
}
