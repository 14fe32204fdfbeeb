import { RackerError } from '../errors.js';
import { DOCKER_HUB, registryApiHost } from '../image/reference.js';
import { loadRegistriesConf, registryInsecure } from '../image/registries-conf.js';
import { normalizeAuthKey, type Credentials } from '../registry/auth.js';
import { authFileForWriting, removeCredentials, storeCredentials } from '../registry/auth-file.js';
import { checkLogin } from '../registry/login.js';

/** `racker login` and `logout`: check credentials against the registry, then keep or forget them. */

export interface LoginOptions {
  credentials: Credentials;
  authfile?: string;
  /** undefined: verify unless registries.conf marks the registry insecure */
  tlsVerify?: boolean;
  deadlineMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** `https://ghcr.io/`, `ghcr.io`, `quay.io/org` → the auth.json key; the first component is the host. */
export function loginKey(input: string): { key: string; host: string } {
  const key = normalizeAuthKey(input || DOCKER_HUB);
  const host = key.split('/')[0];
  if (!host || /[\s@]/.test(key)) throw new RackerError(`invalid registry '${input.slice(0, 80)}'`, { hint: 'give a registry host, e.g. ghcr.io or 127.0.0.1:5000' });
  return { key, host };
}

export async function login(registry: string, opts: LoginOptions): Promise<{ file: string; storedIn: string }> {
  const { key, host } = loginKey(registry);
  const tlsVerify = opts.tlsVerify ?? !registryInsecure(await loadRegistriesConf(opts.env), host);
  await checkLogin({ registry: host, apiHost: registryApiHost(host === DOCKER_HUB ? DOCKER_HUB : host), credentials: opts.credentials, tlsVerify, deadlineMs: opts.deadlineMs });
  const file = authFileForWriting(opts.authfile, opts.env);
  const storedIn = await storeCredentials(file, key, opts.credentials);
  return { file, storedIn };
}

/** Forget credentials; with `all`, every entry of the auth file. False: there were none. */
export async function logout(registry: string | undefined, opts: { authfile?: string; env?: NodeJS.ProcessEnv }): Promise<{ file: string; removed: boolean }> {
  const file = authFileForWriting(opts.authfile, opts.env);
  const key = registry === undefined ? undefined : loginKey(registry).key;
  return { file, removed: await removeCredentials(file, key) };
}
