import { lstat, open, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { RackerError } from '../errors.js';

/**
 * How the container's environment reaches systemd-nspawn without being on its
 * command line, where every local user could read it (/proc/PID/cmdline) for
 * the container's whole life. Two ways, both readable by root only:
 *
 * - a trusted settings file next to the root directory (MACHINE.nspawn in the
 *   container's directory, `--settings=trusted`), `[Exec] Environment=` lines.
 *   It cannot hold a newline, and nspawn ignores all its Environment= lines as
 *   soon as one --setenv is given, so it is all or nothing;
 * - when a value has a newline: `--setenv=NAME` (the name only), the value in
 *   nspawn's own environment. nspawn is a host program running as root, so a
 *   name the host's loader, libc or systemd would act on is refused there, and
 *   PATH (which finds nspawn itself) stays on the command line: it is no secret.
 */
export interface NspawnEnvPlan {
  /** nspawn options: `--settings=trusted`, or one `--setenv=NAME` per variable */
  args: string[];
  /** the settings file's text (always written: a stale one would otherwise apply) */
  settings: string;
  /** added to nspawn's own environment */
  processEnv: Record<string, string>;
}

/**
 * One `Environment=` word: single-quoted runs (nothing inside is special, not
 * even a backslash), a `'` itself double-quoted; adjacent quoted runs make one word.
 */
export function settingsWord(text: string): string {
  return text.split("'").map(run => (run ? `'${run}'` : '')).join(`"'"`);
}

/**
 * Names a root process on the host (nspawn, the shell that puts it in racker's
 * cgroups, the libraries they load) acts on when they are in its environment:
 * the loader's and glibc's (its list of variables unsafe for privileged
 * programs), systemd's and D-Bus's, util-linux's libraries', the shell's. Kept
 * broad on purpose: the image's Env is among the names.
 */
const HOST_SENSITIVE = new RegExp('^(LD_|GLIBC_|MALLOC_|SYSTEMD_|LISTEN_|DBUS_|XDG_|LIBMOUNT_|LIBBLKID_|LIBSMARTCOLS_|SELINUX|NSS_|LIBSECCOMP|OPENSSL_|SSL_|KRB5)'
  + '|^(GCONV_PATH|GETCONF_DIR|LOCPATH|NLSPATH|NIS_PATH|HOSTALIASES|LOCALDOMAIN|RES_OPTIONS|RESOLV_HOST_CONF|TZDIR|TMPDIR'
  + '|NOTIFY_SOCKET|WATCHDOG_PID|WATCHDOG_USEC|ENV|BASH_ENV|IFS|CDPATH|PS4|SHELLOPTS|BASHOPTS|container|container_uuid)$');

/** Would a root process on the host act on this variable? Locale and time zone names only when they name a file. */
function actsOnHost(name: string, value: string): boolean {
  if (HOST_SENSITIVE.test(name)) return true;
  if (name === 'PATH') return value.includes('\n');
  if (/^(LANG|LANGUAGE|LC_[A-Z_]+)$/.test(name)) return !/^[A-Za-z0-9_.@:-]*$/.test(value);
  if (name === 'TZ') return !/^[A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(value);
  return false;
}

export function planNspawnEnv(env: [string, string][]): NspawnEnvPlan {
  if (!env.some(([, v]) => v.includes('\n'))) {
    const lines = env.map(([k, v]) => `Environment=${settingsWord(`${k}=${v}`)}\n`);
    return { args: ['--settings=trusted'], settings: `[Exec]\n${lines.join('')}`, processEnv: {} };
  }
  const refused = env.find(([k, v]) => actsOnHost(k, v));
  if (refused) {
    throw new RackerError(`the environment has a value with a newline, and ${refused[0]} cannot then be passed on`,
      { hint: `racker passes such an environment through systemd-nspawn's own, where ${refused[0]} would act on the host: drop the newline or that variable` });
  }
  const args = env.map(([k, v]) => (k === 'PATH' ? `--setenv=PATH=${v}` : `--setenv=${k}`));
  return { args, settings: '[Exec]\n', processEnv: Object.fromEntries(env.filter(([k]) => k !== 'PATH')) };
}

/**
 * Write the plan's settings file where nspawn looks for it: MACHINE.nspawn
 * beside the root directory (the container's own directory, root only). One
 * of the admin's (/etc or /run/systemd/nspawn/MACHINE.nspawn) would be read
 * instead and the environment silently lost: refused.
 */
export async function writeNspawnSettings(containerDir: string, machine: string, text: string): Promise<void> {
  for (const admin of ['/etc/systemd/nspawn', '/run/systemd/nspawn']) {
    const file = path.join(admin, `${machine}.nspawn`);
    if (await lstat(file).catch(() => undefined)) {
      throw new RackerError(`${file} exists: systemd-nspawn would read it instead of racker's settings for container ${machine}`,
        { hint: 'remove that file or give the container another --name' });
    }
  }
  const file = path.join(containerDir, `${machine}.nspawn`);
  await rm(file, { force: true });
  const fh = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
}
