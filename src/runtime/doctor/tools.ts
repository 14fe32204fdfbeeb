import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { PACKAGE_OF, runAllowFail } from '../../process.js';
import { COMMAND_TIMEOUT_MS, fail, ok, warn, type Check, type Verdict } from './verdict.js';

/**
 * The oldest systemd-nspawn racker can drive: --console=pipe came in systemd
 * 242; --resolv-conf=off and --timezone=off in 239; --keep-unit, --register,
 * --kill-signal, --chdir and --bind are older. Debian 11 has 247, Debian 12 252.
 */
export const NSPAWN_MINIMUM = 242;

/** "systemd 252 (252.39-1~deb12u2)" → 252 */
export function parseNspawnVersion(output: string): number | undefined {
  const m = /^systemd (\d+)\b/m.exec(output);
  return m ? Number(m[1]) : undefined;
}

export function nspawnVerdict(found: string | undefined, versionOutput?: string): Verdict {
  const name = 'systemd-nspawn';
  if (!found) return fail(name, 'systemd-nspawn not found on PATH', 'apt-get install systemd-container');
  const version = versionOutput === undefined ? undefined : parseNspawnVersion(versionOutput);
  if (version === undefined) {
    return fail(name, `${found} did not say its version (systemd-nspawn --version)`, 'apt-get install --reinstall systemd-container');
  }
  if (version < NSPAWN_MINIMUM) {
    return fail(name, `systemd ${version} at ${found}; racker needs ${NSPAWN_MINIMUM} or newer (--console=pipe)`,
      'upgrade systemd-container (Debian 11 or newer, Ubuntu 20.04 or newer)');
  }
  return ok(name, `systemd ${version} at ${found} (racker needs ${NSPAWN_MINIMUM} or newer)`);
}

/** Tools racker runs besides systemd-nspawn; a missing required one makes some verb fail halfway. */
export const TOOLS: readonly { tool: string; usedFor: string; required: boolean }[] = [
  { tool: 'skopeo', usedFor: 'oci-archive: and docker-archive: images', required: true },
  { tool: 'mmdebstrap', usedFor: 'building Debian and Ubuntu images from their mirrors', required: true },
  { tool: 'setfattr', usedFor: 'extended attributes of unpacked layers', required: true },
  { tool: 'getfattr', usedFor: 'extended attributes of unpacked layers', required: true },
  { tool: 'nsenter', usedFor: '--sysctl and postroj pkgprobe\'s network probe', required: true },
  { tool: 'mount', usedFor: 'container overlays', required: true },
  { tool: 'umoci', usedFor: 'the test suite, as the reference unpacker', required: false },
];

export function toolVerdict(tool: string, usedFor: string, found: string | undefined, required = true): Verdict {
  if (found) return ok(`tool:${tool}`, `${found} (${usedFor})`);
  const pkg = PACKAGE_OF[tool];
  const fix = pkg ? `apt-get install ${pkg}` : `install ${tool}`;
  const detail = `${tool} not found on PATH (needed for ${usedFor})`;
  return required ? fail(`tool:${tool}`, detail, fix) : warn(`tool:${tool}`, detail, fix);
}

/** Networks (a coming feature) will program the host firewall with one of these. */
export function firewallVerdict(nft: string | undefined, iptables: string | undefined): Verdict {
  if (nft) return ok('firewall', `${nft} (for container networks)`);
  if (iptables) return ok('firewall', `${iptables} (for container networks)`);
  return warn('firewall', 'neither nft nor iptables on PATH: container networks will not work', 'apt-get install nftables');
}

/** The keyring each mirror-built image checks its packages with, and how to get it. */
const KEYRING_FIX: Record<string, string> = {
  '/usr/share/keyrings/debian-archive-keyring.gpg': 'apt-get install debian-archive-keyring',
  '/usr/share/keyrings/debian-archive-removed-keys.gpg': 'apt-get install debian-archive-keyring',
  // Debian 12 does not carry Ubuntu's keyring; Ubuntu's own package works there
  '/usr/share/keyrings/ubuntu-archive-keyring.gpg': 'apt-get install ubuntu-keyring (on Ubuntu; on Debian, dpkg -i the ubuntu-keyring .deb from archive.ubuntu.com/ubuntu/pool/main/u/ubuntu-keyring/)',
};
/** racker's own example (racker run debian-bookworm) needs Debian's; others only matter for their labels. */
const REQUIRED_KEYRINGS = new Set(['/usr/share/keyrings/debian-archive-keyring.gpg']);

/** A keyring some image is built with, and the images that need it. */
export interface KeyringUse { keyring: string; labels: string[] }

export function keyringVerdict(keyring: string, labels: readonly string[], present: boolean): Verdict {
  const name = `keyring:${path.basename(keyring, '.gpg')}`;
  if (present) return ok(name, `${keyring} (for ${labels.join(', ')} from the mirror)`);
  const detail = `${keyring} missing: ${labels.join(', ')} cannot be built from the mirror`;
  const fix = KEYRING_FIX[keyring] ?? `install the package that provides ${keyring}`;
  return REQUIRED_KEYRINGS.has(keyring) ? fail(name, detail, fix) : warn(name, `${detail} (only from their registries)`, fix);
}

/** Where `tool` would be found on `searchPath`, as spawn() finds it; undefined if nowhere. */
export async function findOnPath(tool: string, searchPath = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of searchPath.split(':').filter(Boolean)) {
    const candidate = path.join(dir, tool);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
}

export function toolChecks(keyrings: readonly KeyringUse[] = []): Check[] {
  const checks: Check[] = [{
    name: 'systemd-nspawn',
    async run() {
      const found = await findOnPath('systemd-nspawn');
      if (!found) return nspawnVerdict(undefined);
      const r = await runAllowFail('systemd-nspawn', ['--version'], { timeout: COMMAND_TIMEOUT_MS });
      return nspawnVerdict(found, r.exitCode === 0 ? r.stdout : undefined);
    },
  }];
  for (const { tool, usedFor, required } of TOOLS) {
    checks.push({ name: `tool:${tool}`, run: async () => toolVerdict(tool, usedFor, await findOnPath(tool), required) });
  }
  for (const { keyring, labels } of keyrings) {
    checks.push({
      name: `keyring:${path.basename(keyring, '.gpg')}`,
      run: async () => keyringVerdict(keyring, labels, await access(keyring, constants.R_OK).then(() => true, () => false)),
    });
  }
  checks.push({ name: 'firewall', run: async () => firewallVerdict(await findOnPath('nft'), await findOnPath('iptables')) });
  return checks;
}
