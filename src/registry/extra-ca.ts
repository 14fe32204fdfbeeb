import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { warn } from '../log.js';

/**
 * node reads NODE_EXTRA_CA_CERTS when it starts, before any of racker runs:
 * ~40 ms for a 200 kB bundle, on every start, also of starts that make no TLS
 * connection (most). So bin/racker hands the file over in this variable
 * instead, and racker reads it on its first HTTPS request to a registry
 * (docs/pull.md).
 */
export const EXTRA_CA_ENV = 'RACKER_EXTRA_CA_CERTS';

let loaded: { file?: string; ca?: string[] } | undefined;

/** The CAs to trust when NODE_EXTRA_CA_CERTS was given: node's well-known ones and the file's; undefined: node's own. */
export function extraCa(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const file = env[EXTRA_CA_ENV] || undefined;
  if (loaded && loaded.file === file) return loaded.ca;
  loaded = { file };
  if (!file) return undefined;
  try {
    loaded.ca = [...rootCertificates, readFileSync(file, 'utf8')];
  } catch (err) {
    // as node does with an unreadable NODE_EXTRA_CA_CERTS: say so, and trust the well-known CAs
    warn(`the extra CA certificates ${file} (NODE_EXTRA_CA_CERTS) cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): only the well-known CAs are trusted`);
  }
  return loaded.ca;
}
