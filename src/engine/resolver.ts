import type { MirrorBuild } from '../image/mirror-fetcher.js';
import type { PullResult } from '../model/image.js';

/** A root filesystem to build from a distribution's package mirror (Debian, Ubuntu): where and what to verify. */
export type MirrorSource = Omit<MirrorBuild, 'packages' | 'cacheDir'>;

/** What a resolver may use to get its image into the store (the engine's ImageService is one). */
export interface ImagePuller {
  pull(reference: string, opts: { force?: boolean; quiet?: boolean }): Promise<PullResult>;
  buildFromMirror(label: string, mirror: MirrorSource, opts: { force?: boolean; quiet?: boolean }): Promise<PullResult>;
  registryAnswers(reference: string, timeoutMs?: number): Promise<boolean>;
  tag(names: string[], id: string): Promise<void>;
}

/** A name some resolver owns (postroj's curated labels): where it is stored and how to get it. */
export interface ResolvedImage {
  /** the name the image is kept under in the store, e.g. postroj/debian-bookworm:latest */
  storeName: string;
  /** run it booted (systemd as PID 1) unless the caller says otherwise */
  boot: boolean;
  pull(images: ImagePuller, opts: { force?: boolean; quiet?: boolean }): Promise<PullResult>;
}

/**
 * Names that are not image references. The engine is given a resolver; it
 * never knows about curated catalogues itself (postroj supplies one).
 */
export interface ImageResolver {
  resolve(name: string): ResolvedImage | undefined;
}
