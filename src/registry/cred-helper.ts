import { RackerError } from '../errors.js';
import { run, runAllowFail } from '../process.js';
import { sanitize } from './http-errors.js';
import type { Credentials } from './auth.js';

/**
 * docker's credential helper protocol: `docker-credential-NAME get|store|erase`
 * on PATH, the server on stdin, JSON on stdout. The secret travels only
 * through the pipes, never in argv or the helper's environment.
 */

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function helperBinary(name: string): string {
  if (!HELPER_NAME.test(name)) throw new RackerError(`invalid credential helper name '${sanitize(name, 64)}'`, { hint: 'credHelpers/credsStore name a program docker-credential-NAME on PATH' });
  return `docker-credential-${name}`;
}

/** Credentials the helper has for `server`, or undefined when it has none. */
export async function helperGet(name: string, server: string): Promise<Credentials | undefined> {
  const bin = helperBinary(name);
  const r = await runAllowFail(bin, ['get'], { input: server, purpose: `ask the credential helper ${bin} for ${server}` });
  if (r.exitCode !== 0) {
    // the protocol's "not found" answer is a failure with this text on stdout
    if (/credentials not found/i.test(`${r.stdout}${r.stderr}`)) return undefined;
    throw new RackerError(`the credential helper ${bin} failed for ${server} (exit code ${r.exitCode}): ${sanitize(r.stderr || r.stdout, 160)}`);
  }
  const out = r.stdout;
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(out) as typeof parsed;
  } catch {
    throw new RackerError(`the credential helper ${bin} did not answer with JSON`);
  }
  if (typeof parsed.Username !== 'string' || typeof parsed.Secret !== 'string' || !parsed.Secret) return undefined;
  return { username: parsed.Username, password: parsed.Secret };
}

export async function helperStore(name: string, server: string, c: Credentials): Promise<void> {
  const bin = helperBinary(name);
  await run(bin, ['store'], { input: JSON.stringify({ ServerURL: server, Username: c.username, Secret: c.password }), purpose: `store credentials for ${server} with ${bin}` });
}

export async function helperErase(name: string, server: string): Promise<void> {
  const bin = helperBinary(name);
  await run(bin, ['erase'], { input: server, purpose: `erase credentials for ${server} with ${bin}` });
}
