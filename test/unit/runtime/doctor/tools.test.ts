import { describe, expect, it } from 'vitest';
import { chmod, mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { catalogueKeyrings } from '../../../../src/postroj/catalogue.js';
import { NSPAWN_MINIMUM, findOnPath, firewallVerdict, keyringVerdict, nspawnVerdict, parseNspawnVersion, toolVerdict } from '../../../../src/runtime/doctor/tools.js';

describe('doctor: tools', () => {
  it('parses systemd-nspawn --version', () => {
    expect(parseNspawnVersion('systemd 252 (252.39-1~deb12u2)\n+PAM +AUDIT default-hierarchy=unified')).toBe(252);
    expect(parseNspawnVersion('systemd 241 (241)\n')).toBe(241);
    expect(parseNspawnVersion('nspawn version 3')).toBeUndefined();
    expect(parseNspawnVersion('')).toBeUndefined();
  });
  it('systemd-nspawn: fails when missing, unreadable or older than racker needs; says the minimum', () => {
    const missing = nspawnVerdict(undefined);
    expect(missing).toMatchObject({ status: 'fail', fix: 'apt-get install systemd-container' });
    expect(nspawnVerdict('/usr/bin/systemd-nspawn', undefined).status).toBe('fail');
    expect(nspawnVerdict('/usr/bin/systemd-nspawn', 'garbage').status).toBe('fail');
    const old = nspawnVerdict('/usr/bin/systemd-nspawn', `systemd ${NSPAWN_MINIMUM - 1} (buster)`);
    expect(old.status).toBe('fail');
    expect(old.detail).toContain(`needs ${NSPAWN_MINIMUM} or newer`);
    const good = nspawnVerdict('/usr/bin/systemd-nspawn', 'systemd 252 (252.39-1~deb12u2)');
    expect(good.status).toBe('ok');
    expect(good.detail).toContain('252');
    expect(NSPAWN_MINIMUM).toBe(242); // --console=pipe
  });
  it('a missing tool fails with the Debian package that provides it; umoci only warns', () => {
    expect(toolVerdict('skopeo', 'archives', '/usr/bin/skopeo').status).toBe('ok');
    expect(toolVerdict('skopeo', 'archives', undefined)).toMatchObject({ name: 'tool:skopeo', status: 'fail', fix: 'apt-get install skopeo' });
    expect(toolVerdict('setfattr', 'xattrs', undefined).fix).toBe('apt-get install attr');
    expect(toolVerdict('nsenter', 'exec', undefined).fix).toBe('apt-get install util-linux');
    expect(toolVerdict('umoci', 'tests', undefined, false)).toMatchObject({ status: 'warn', fix: 'apt-get install umoci' });
  });
  it('firewall: either nft or iptables is enough; neither only warns', () => {
    expect(firewallVerdict('/usr/sbin/nft', undefined).status).toBe('ok');
    expect(firewallVerdict(undefined, '/usr/sbin/iptables').status).toBe('ok');
    expect(firewallVerdict(undefined, undefined)).toMatchObject({ status: 'warn', fix: 'apt-get install nftables' });
  });
  it('keyrings come from the catalogue; Debian\'s is required, Ubuntu\'s only warned about', () => {
    const rings = catalogueKeyrings();
    const debian = rings.find(r => r.keyring === '/usr/share/keyrings/debian-archive-keyring.gpg');
    expect(debian?.labels).toContain('debian-bookworm');
    const ubuntu = rings.find(r => r.keyring === '/usr/share/keyrings/ubuntu-archive-keyring.gpg');
    expect(ubuntu?.labels).toEqual(['ubuntu-jammy', 'ubuntu-noble']);
    expect(keyringVerdict(debian!.keyring, debian!.labels, true).status).toBe('ok');
    expect(keyringVerdict(debian!.keyring, debian!.labels, false)).toMatchObject({ status: 'fail', fix: 'apt-get install debian-archive-keyring' });
    const noUbuntu = keyringVerdict(ubuntu!.keyring, ubuntu!.labels, false);
    expect(noUbuntu.status).toBe('warn');
    expect(noUbuntu.detail).toContain('ubuntu-jammy');
    expect(noUbuntu.fix).toContain('ubuntu-keyring');
  });
  it('finds tools on PATH as spawn does: executable files only, first directory wins', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'racker-doctor-unit-'));
    try {
      await mkdir(path.join(dir, 'a'));
      await mkdir(path.join(dir, 'b'));
      await writeFile(path.join(dir, 'a', 'tool'), 'not executable');
      await writeFile(path.join(dir, 'b', 'tool'), '#!/bin/sh\n');
      await chmod(path.join(dir, 'b', 'tool'), 0o755);
      expect(await findOnPath('tool', `${dir}/a:${dir}/b`)).toBe(path.join(dir, 'b', 'tool'));
      expect(await findOnPath('tool', `${dir}/a`)).toBeUndefined();
      expect(await findOnPath('tool', '')).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
