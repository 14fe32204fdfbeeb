import { lstat, mkdir, open, readFile, realpath, rename, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { RackerError, isErrno } from '../errors.js';
import { warn } from '../log.js';
import { helperFor, normalizeAuthKey, type Credentials } from './auth.js';
import { helperErase, helperStore } from './cred-helper.js';

/**
 * Writing containers-auth.json(5): where `login` stores credentials and
 * `logout` removes them. The file is replaced atomically (a temporary file in
 * the same folder, mode 0600, fsynced, renamed over it), so a reader never
 * sees half a file and a crash never loses the other registries' entries.
 */

/** The file login writes: --authfile, $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json, else ~/.config/containers/auth.json. */
export function authFileForWriting(given: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (given) return given;
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json');
  return path.join(env.XDG_CONFIG_HOME || path.join(env.HOME || homedir(), '.config'), 'containers', 'auth.json');
}

type AuthDoc = { auths?: Record<string, unknown>; credHelpers?: Record<string, unknown>; credsStore?: unknown; [k: string]: unknown };

/** The file's document ({} when absent); one that does not parse is never overwritten. */
async function readDoc(file: string): Promise<AuthDoc> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return {};
    throw new RackerError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new RackerError(`${file} is not valid JSON; not touching it`, { hint: 'fix or remove the file, then log in again' });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new RackerError(`${file} is not a JSON object; not touching it`);
  return doc as AuthDoc;
}

/** Where to write: a symbolic link is followed (with a warning), so the user's layout stays as it is. */
async function target(file: string): Promise<string> {
  const st = await lstat(file).catch(() => undefined);
  if (!st?.isSymbolicLink()) return file;
  warn(`${file} is a symbolic link: writing to the file it points to`);
  return realpath(file).catch(() => { throw new RackerError(`${file} is a symbolic link to nothing`, { hint: 'remove the dangling link or pass --authfile' }); });
}

async function writeDoc(file: string, doc: AuthDoc): Promise<void> {
  const dest = await target(file);
  await mkdir(path.dirname(dest), { recursive: true, mode: 0o700 });
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.${process.pid}.${Date.now()}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(doc, null, '\t')}\n`);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, dest);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new RackerError(`cannot write ${dest}: ${(err as Error).message}`);
  }
}

/** Save credentials for `registry` (a credential helper the file names for it gets them instead). */
export async function storeCredentials(file: string, registry: string, c: Credentials): Promise<'file' | string> {
  const doc = await readDoc(file);
  const key = normalizeAuthKey(registry);
  const helper = helperFor(doc, key);
  const auths = doc.auths && typeof doc.auths === 'object' ? { ...doc.auths } : {};
  if (helper) {
    await helperStore(helper, key, c);
    // a stale password in the file must not shadow the helper's
    if (key in auths && helper === doc.credsStore) {
      delete auths[key];
      await writeDoc(file, { ...doc, auths });
    }
    return helper;
  }
  auths[key] = { auth: Buffer.from(`${c.username}:${c.password}`).toString('base64') };
  await writeDoc(file, { ...doc, auths });
  return 'file';
}

/** Remove the entry for `registry` (undefined: every entry). false: there was none. */
export async function removeCredentials(file: string, registry: string | undefined): Promise<boolean> {
  const doc = await readDoc(file);
  const auths = doc.auths && typeof doc.auths === 'object' ? { ...doc.auths } : {};
  if (registry === undefined) {
    const had = Object.keys(auths).length > 0;
    if (had) await writeDoc(file, { ...doc, auths: {} });
    return had;
  }
  const key = normalizeAuthKey(registry);
  const helper = helperFor(doc, key);
  let removed = false;
  for (const k of Object.keys(auths)) {
    if (normalizeAuthKey(k) === key) {
      delete auths[k];
      removed = true;
    }
  }
  if (removed) await writeDoc(file, { ...doc, auths });
  if (helper) {
    await helperErase(helper, key);
    removed = true;
  }
  return removed;
}
