import type { Command } from 'commander';
import { contextFrom, type Context } from '../context.js';
import { fetcherFor, parseImageArg, type SourceOptions } from '../../image/source.js';
import type { PullResult } from '../../store/pull.js';
import type { ImageRecord } from '../../store/image-store.js';
import type { Settings } from '../../settings.js';

export interface PullFlags { force?: boolean; tlsVerify?: string; quiet?: boolean; retry?: string; retryDelay?: string }

export function sourceOptions(flags: PullFlags, settings?: Settings): SourceOptions {
  return {
    deadlineMs: settings?.registryTimeoutMs,
    minBlobBytesPerSec: settings?.registryMinRate,
    tlsVerify: flags.tlsVerify === undefined ? undefined : flags.tlsVerify !== 'false',
    retries: flags.retry === undefined ? undefined : Number(flags.retry),
    retryDelayMs: flags.retryDelay === undefined ? undefined : Number(flags.retryDelay),
  };
}

/** Pull `input` into the store (shared by `pull` and `run`). */
export async function pullByName(ctx: Context, input: string, flags: PullFlags): Promise<PullResult> {
  const { ref, names } = parseImageArg(input);
  const fetcher = await fetcherFor(ref, sourceOptions(flags, ctx.settings));
  const { pullImage } = await import('../../store/pull.js');
  const { progressFor } = await import('../../store/progress.js');
  try {
    return await pullImage(ctx.images, fetcher, {
      force: flags.force,
      progress: progressFor(process.stderr, flags.quiet),
      tags: names.tags,
      repoDigest: names.repoDigest,
    });
  } finally {
    await fetcher.close?.();
  }
}

/**
 * The names tags.json may hold for an image name as the user gave it, most
 * specific first: its canonical form, the input itself and, with docker's
 * default tag, the input plus :latest when it names no tag or digest (so
 * postroj/debian-bookworm finds the stored postroj/debian-bookworm:latest).
 */
export function storedNameCandidates(input: string): string[] {
  const out: string[] = [];
  try {
    const { ref, names } = parseImageArg(input);
    out.push(names.canonical);
    if (ref.transport === 'docker' && !input.includes('@') && !/:[^/]*$/.test(input)) out.push(input, `${input}:latest`);
  } catch {
    // not a valid reference: it can still be an image id
  }
  return [...new Set([...out, input])];
}

/** Find an image locally, by name or id; `check: false` also finds one whose stored config is malformed (rmi, inspect). */
export async function findImage(ctx: Context, input: string, opts: { check?: boolean } = {}): Promise<ImageRecord | undefined> {
  return ctx.images.find(input, storedNameCandidates(input), opts);
}

export function register(program: Command): void {
  program.command('pull')
    .description('download an image from a registry, OCI layout or archive into the local store')
    .argument('<image>', 'busybox, ghcr.io/o/n:tag, host:5000/n@sha256:…, oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE')
    .option('--force', 'fetch and unpack again even what the store already has')
    .option('--tls-verify <bool>', 'verify TLS certificates (false also allows plain HTTP)')
    .option('-q, --quiet', 'print only the image id')
    .option('--retry <n>', 'retries for transient registry errors (default 3)')
    .option('--retry-delay <ms>', 'first retry delay in milliseconds (default 500)')
    .action(async (image: string, flags: PullFlags) => {
      const ctx = contextFrom(program);
      const { record, fetchedLayers, reusedLayers } = await pullByName(ctx, image, flags);
      if (!flags.quiet) {
        process.stderr.write(`Digest: ${record.manifestDigest}\n`);
        process.stderr.write(`Status: ${fetchedLayers ? 'Downloaded newer image' : 'Image is up to date'} for ${image} (${fetchedLayers} layers fetched, ${reusedLayers} reused)\n`);
      }
      process.stdout.write(`${record.id}\n`);
    });
}
