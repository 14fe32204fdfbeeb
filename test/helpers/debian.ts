import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

/** Shared between test runs on one machine: mirror builds are slow, and mirrors change daily. */
export const MIRROR_CACHE = process.env.RACKER_TEST_CACHE ?? '/var/cache/racker-test';
export const DEBIAN_MIRROR = process.env.RACKER_TEST_MIRROR ?? 'http://deb.debian.org/debian';

/** A minimal Debian bookworm root filesystem without systemd, as a tar (like debian:bookworm-slim). */
export async function slimDebianTarball(): Promise<string> {
  await mkdir(MIRROR_CACHE, { recursive: true });
  const file = path.join(MIRROR_CACHE, `slim-bookworm-${new Date().toISOString().slice(0, 10)}.tar`);
  if (await stat(file).then(s => s.size > 0, () => false)) return file;
  const partial = `${file}.${process.pid}.partial`;
  try {
    await execa('mmdebstrap', ['--variant=minbase', '--mode=root', '--format=tar', '--quiet', 'bookworm', partial, DEBIAN_MIRROR], { timeout: 15 * 60_000 });
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
  return file;
}
