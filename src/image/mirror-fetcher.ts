import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { EXIT, RackerError } from '../errors.js';
import { run } from '../process.js';
import { verbose } from '../log.js';
import { withLock } from '../lock.js';
import { digestOfBuffer, digestOfFile } from './digest.js';
import type { ImageFetcher, ResolvedImage } from './fetcher.js';
import { type Descriptor, hostPlatform, type ImageManifest, MEDIA } from './oci.js';
import type { ImageConfig } from '../model/image.js';

export interface MirrorBuild {
  suite: string;
  url: string;
  keyring?: string;
  /** the Debian package that installs `keyring`, for the hint when it is missing */
  keyringPackage?: string;
  components?: string[];
  /** extra packages besides the minimal base */
  packages: string[];
  /** where finished root filesystem tarballs are kept, so a rebuild on the same day is free */
  cacheDir: string;
}

/** What the OS containers need on top of a minimal base: systemd to boot, and tools probes use. */
export const OS_PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'procps', 'iproute2', 'curl', 'ca-certificates'];

/**
 * Builds a Debian-family root filesystem from the distribution's own package
 * mirror with mmdebstrap, and presents it as a one-layer OCI image, so it is
 * stored, shared and run like any pulled image.
 */
export class MirrorFetcher implements ImageFetcher {
  readonly description: string;
  private tarball: string | undefined;
  private layer: Descriptor | undefined;

  constructor(private readonly build: MirrorBuild) {
    this.description = `mirror:${build.url} ${build.suite}`;
  }

  /** One tarball per suite, mirror, package set and day: mirrors change daily. */
  private cacheKey(): string {
    const day = new Date().toISOString().slice(0, 10);
    const h = createHash('sha256').update(JSON.stringify([this.build.url, this.build.suite, this.build.components, [...this.build.packages].sort()])).digest('hex').slice(0, 16);
    return `${this.build.suite}-${day}-${h}.tar`;
  }

  private async buildTarball(): Promise<string> {
    await mkdir(this.build.cacheDir, { recursive: true, mode: 0o700 });
    const final = path.join(this.build.cacheDir, this.cacheKey());
    // one build per tarball: a second postroj waits for the first instead of building it again
    return withLock(`${final}.lock`, () => this.buildOnce(final), {
      timeoutMs: 45 * 60_000, onWait: () => process.stderr.write(`Waiting for another build of ${this.build.suite} to finish…\n`),
    });
  }

  /** mmdebstrap's own complaint about a missing keyring is one line lost above its usage text */
  private async checkKeyring(): Promise<void> {
    const { keyring, keyringPackage: pkg, suite, url } = this.build;
    if (!keyring || await stat(keyring).then(s => s.isFile(), () => false)) return;
    throw new RackerError(`keyring ${keyring} not found: it is needed to verify ${suite} from ${url}`, {
      exitCode: EXIT.RACKER,
      hint: pkg ? `install it: apt-get install ${pkg} (if apt cannot find ${pkg}, see "Keyrings" in docs/postroj.md)` : `install ${keyring}`,
    });
  }

  private async buildOnce(final: string): Promise<string> {
    if (await stat(final).then(s => s.size > 0, () => false)) {
      verbose(`using cached ${final}`);
      return final;
    }
    await this.checkKeyring();
    const partial = `${final}.${process.pid}.partial`;
    process.stderr.write(`Building ${this.build.suite} from ${this.build.url} (mmdebstrap)…\n`);
    const args = ['--variant=minbase', '--mode=root', '--format=tar', `--include=${this.build.packages.join(',')}`];
    if (this.build.components?.length) args.push(`--components=${this.build.components.join(',')}`);
    if (this.build.keyring) args.push(`--keyring=${this.build.keyring}`);
    // a container does not need docs and man pages; apt caches are dropped too
    args.push('--dpkgopt=path-exclude=/usr/share/man/*', '--dpkgopt=path-exclude=/usr/share/doc/*', '--skip=cleanup/apt/lists');
    args.push(this.build.suite, partial, this.build.url);
    try {
      await run('mmdebstrap', args, { purpose: `build ${this.build.suite} from ${this.build.url}`, timeout: 30 * 60_000 });
      await rename(partial, final);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
    return final;
  }

  async resolve(): Promise<ResolvedImage> {
    this.tarball = await this.buildTarball();
    const digest = await digestOfFile(this.tarball);
    const st = await stat(this.tarball);
    const size = st.size;
    this.layer = { mediaType: MEDIA.ociLayerTar, digest, size };
    const config: ImageConfig = {
      // the tarball's time, so the same build always gets the same image id
      created: st.mtime.toISOString(),
      ...hostPlatform(),
      config: {
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        Cmd: ['/bin/bash'],
        Labels: { 'org.racker.source': 'mirror', 'org.racker.suite': this.build.suite, 'org.racker.mirror': this.build.url },
      },
      rootfs: { type: 'layers', diff_ids: [digest] },
    };
    const configBytes = Buffer.from(JSON.stringify(config));
    const configDigest = digestOfBuffer(configBytes);
    const manifest: ImageManifest = {
      schemaVersion: 2, mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: configDigest, size: configBytes.length },
      layers: [this.layer],
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    const manifestDigest = digestOfBuffer(manifestBytes);
    return { manifestDigest, manifest, manifestBytes, configDigest, config, configBytes };
  }

  async openBlob(desc: Descriptor) {
    if (!this.tarball || !this.layer || desc.digest !== this.layer.digest) {
      throw new RackerError(`blob ${desc.digest} is not part of this mirror build`);
    }
    return { stream: createReadStream(this.tarball), startsAt: 0 };
  }
}
