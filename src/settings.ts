import path from 'node:path';

/** Settings shared by every command: defaults < environment < flags. */
export interface Settings {
  /** store root (images, layers, containers) */
  root: string;
  verbose: boolean;
  debug: boolean;
}

export const DEFAULT_ROOT = '/var/lib/racker';

export function resolveSettings(flags: { root?: string; verbose?: boolean; debug?: boolean },
  env: NodeJS.ProcessEnv = process.env): Settings {
  const root = flags.root ?? env.RACKER_ROOT ?? DEFAULT_ROOT;
  return { root: path.resolve(root), verbose: !!flags.verbose, debug: !!flags.debug };
}
