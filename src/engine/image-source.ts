import path from 'node:path';
import { RackerError } from '../errors.js';
import type { ImageFetcher } from '../image/fetcher.js';
import { formatDockerReference, parseReference, type DockerReference, type ImageReference } from '../image/reference.js';

export interface SourceOptions {
  /** false: skip TLS verification and allow plain HTTP (podman's --tls-verify=false) */
  tlsVerify?: boolean;
  retries?: number;
  retryDelayMs?: number;
  /** see RegistryFetcherOptions */
  deadlineMs?: number;
  minBlobBytesPerSec?: number;
  /** the containers-policy.json(5) to enforce instead of the default file (--signature-policy) */
  signaturePolicy?: string;
}

/** How an image is named in the local store once pulled. */
export interface StoreNames {
  /** the name `run` and `images` use for it */
  canonical: string;
  /** names tags.json points at the image (none for a pull by digest) */
  tags: string[];
  repoDigest?: (manifestDigest: string) => string;
}

export function storeNames(ref: ImageReference): StoreNames {
  if (ref.transport === 'docker') {
    const canonical = formatDockerReference(ref);
    const repo = `${ref.registry}/${ref.repository}`;
    return {
      canonical,
      tags: ref.digest ? [] : [canonical],
      repoDigest: d => `${repo}@${d}`,
    };
  }
  const canonical = `${ref.transport}:${path.resolve(ref.path)}${ref.tag ? `:${ref.tag}` : ''}`;
  return { canonical, tags: [canonical] };
}

/**
 * The fetcher for a reference: the one place that knows every image source
 * (registries in registry/, OCI layouts and archives in image/), so neither
 * of those folders knows the other's fetchers.
 */
export async function fetcherFor(ref: ImageReference, opts: SourceOptions = {}): Promise<ImageFetcher> {
  // read on every pull (never on a run of a stored image); none at all means accept, as podman without one would not run
  const { loadPolicy } = await import('../registry/policy.js');
  const policy = await loadPolicy(opts.signaturePolicy);
  if (policy && ref.transport !== 'docker') {
    const { enforceUnsigned } = await import('../registry/signatures.js');
    enforceUnsigned(policy, ref.transport, path.resolve(ref.path));
  }
  switch (ref.transport) {
    case 'docker': {
      // fetchers load on first use: `racker run` of a local image never needs them
      const { endpointsFor, loadRegistriesConf } = await import('../image/registries-conf.js');
      const { RegistryFetcher } = await import('../registry/registry-fetcher.js');
      const conf = await loadRegistriesConf();
      const endpoints = endpointsFor(conf, ref.registry, ref.repository, !!ref.digest);
      return new RegistryFetcher({
        ref, endpoints, tlsVerify: opts.tlsVerify ?? true, retries: opts.retries, retryDelayMs: opts.retryDelayMs,
        deadlineMs: opts.deadlineMs, minBlobBytesPerSec: opts.minBlobBytesPerSec, policy,
      });
    }
    case 'oci': {
      const { OciLayoutFetcher } = await import('../image/oci-layout-fetcher.js');
      return new OciLayoutFetcher({ dir: path.resolve(ref.path), tag: ref.tag });
    }
    case 'oci-archive':
    case 'docker-archive': {
      const { ArchiveFetcher } = await import('../image/archive-fetcher.js');
      return new ArchiveFetcher({ transport: ref.transport, file: path.resolve(ref.path), tag: ref.tag });
    }
    default:
      throw new RackerError(`unsupported image source ${(ref as { transport: string }).transport}`);
  }
}

/** Parse a user-given image name, for commands that look it up or pull it. */
export function parseImageArg(input: string): { ref: ImageReference; names: StoreNames } {
  const ref = parseReference(input);
  return { ref, names: storeNames(ref) };
}

export type { DockerReference };
