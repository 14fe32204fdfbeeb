import { access, mkdtemp, rm, stat } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { RackerError, isErrno } from '../errors.js';
import { run } from '../process.js';
import { verbose } from '../log.js';
import type { ImageFetcher, ResolvedImage } from './fetcher.js';
import { OciLayoutFetcher } from './oci-layout-fetcher.js';
import type { Descriptor, Platform } from './oci.js';

export interface ArchiveOptions {
  transport: 'oci-archive' | 'docker-archive';
  file: string;
  /** oci-archive: the ref.name inside; docker-archive: the repo:tag inside (or @N) */
  tag?: string;
  /** copy this platform out of a multi-platform archive (default: skopeo's, the host's) */
  platform?: Platform;
  /** how messages name the source, when `file` is a copy of what the user gave (load's spooled stdin) */
  label?: string;
}

/** the tag the image gets inside our private layout */
const INNER_TAG = 'racker';

/**
 * Reads oci-archive and docker-archive files by letting skopeo unpack them into
 * a private OCI layout, then reading that. close() removes the layout.
 */
export class ArchiveFetcher implements ImageFetcher {
  readonly description: string;
  private workDir: string | undefined;
  private layout: OciLayoutFetcher | undefined;

  constructor(private readonly opts: ArchiveOptions) {
    this.description = opts.label ?? `${opts.transport}:${opts.file}${opts.tag ? `:${opts.tag}` : ''}`;
  }

  private async unpack(): Promise<OciLayoutFetcher> {
    if (this.layout) return this.layout;
    const { transport, file, tag, platform } = this.opts;
    // skopeo splits FILE:TAG at the first colon, so a colon in the path would be misread
    if (file.includes(':')) throw new RackerError(`${transport} path '${file}' contains ':', which skopeo cannot handle`, { hint: 'rename or link the file to a path without ":"' });
    try {
      const st = await stat(file);
      if (!st.isFile()) throw new RackerError(`${file} is not a regular file`, { hint: `${transport} expects an archive file` });
    } catch (err) {
      if (err instanceof RackerError) throw err;
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) throw new RackerError(`no such file: ${file}`, { hint: `check the path after ${transport}:` });
      throw new RackerError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
    this.workDir = await mkdtemp(path.join(tmpdir(), 'racker-archive-'));
    const dir = path.join(this.workDir, 'layout');
    const args = ['copy', '--quiet'];
    // without a policy.json skopeo refuses to run; with one, the user's rules apply
    const policies = [path.join(homedir(), '.config/containers/policy.json'), '/etc/containers/policy.json'];
    const exists = await Promise.all(policies.map(p => access(p).then(() => true, () => false)));
    if (!exists.includes(true)) args.push('--insecure-policy');
    if (platform) {
      args.push('--override-os', platform.os, '--override-arch', platform.architecture);
      if (platform.variant) args.push('--override-variant', platform.variant);
    }
    args.push(`${transport}:${file}${tag ? `:${tag}` : ''}`, `oci:${dir}:${INNER_TAG}`);
    verbose(`unpacking ${this.description} with skopeo`);
    try {
      await run('skopeo', args, { purpose: `read ${this.description}`, timeout: 30 * 60_000 });
    } catch (err) {
      await this.close();
      throw err;
    }
    this.layout = new OciLayoutFetcher({ dir, tag: INNER_TAG, platform });
    return this.layout;
  }

  async resolve(): Promise<ResolvedImage> {
    return (await this.unpack()).resolve();
  }

  async openBlob(desc: Descriptor, offset?: number): Promise<{ stream: Readable; startsAt: number }> {
    return (await this.unpack()).openBlob(desc, offset);
  }

  async close(): Promise<void> {
    const dir = this.workDir;
    this.workDir = undefined;
    this.layout = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
