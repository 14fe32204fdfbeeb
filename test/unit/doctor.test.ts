import { describe, expect, it } from 'vitest';
import { chmod, mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { overlayInFilesystems, overlayVerdict, namespacesVerdict } from '../../src/runtime/doctor/kernel.js';
import { catalogueKeyrings } from '../../src/postroj/catalogue.js';
import { NSPAWN_MINIMUM, findOnPath, firewallVerdict, keyringVerdict, nspawnVerdict, parseNspawnVersion, toolVerdict } from '../../src/runtime/doctor/tools.js';
import { cgroupLayout, cgroupVerdict, machinedVerdict, pid1Verdict } from '../../src/runtime/doctor/systemd.js';
import { overall, runChecks, type Verdict } from '../../src/runtime/doctor/verdict.js';
import { hostChecks } from '../../src/runtime/doctor/index.js';

describe('doctor: kernel', () => {
  it('finds overlay in /proc/filesystems, and only as a whole name', () => {
    expect(overlayInFilesystems('nodev\tsysfs\nnodev\toverlay\n\text4\n')).toBe(true);
    expect(overlayInFilesystems('nodev\tsysfs\nnodev\toverlayfs2\n\text4\n')).toBe(false);
  });
  it('overlayfs: ok when known or loadable, fail with modprobe as the fix otherwise', () => {
    expect(overlayVerdict(true).status).toBe('ok');
    expect(overlayVerdict(false, 'loadable').status).toBe('ok');
    for (const answer of ['absent', 'no-modprobe'] as const) {
      const v = overlayVerdict(false, answer);
      expect(v.status).toBe('fail');
      expect(v.fix).toContain('modprobe overlay');
    }
  });
  it('namespaces: mnt/pid/uts/ipc are required, net and user only warned about', () => {
    const all = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'pid_for_children', 'time', 'user', 'uts'];
    expect(namespacesVerdict(all, 15000).status).toBe('ok');
    const noPid = namespacesVerdict(all.filter(n => n !== 'pid'));
    expect(noPid.status).toBe('fail');
    expect(noPid.detail).toContain('pid');
    expect(noPid.fix).toContain('CONFIG_PID_NS');
    const noNet = namespacesVerdict(all.filter(n => n !== 'net'));
    expect(noNet.status).toBe('warn');
    expect(noNet.fix).toContain('CONFIG_NET_NS');
    const userOff = namespacesVerdict(all, 0);
    expect(userOff.status).toBe('warn');
    expect(userOff.fix).toContain('user.max_user_namespaces');
  });
});

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

describe('doctor: systemd and cgroups', () => {
  const unified = 'sysfs /sys sysfs rw 0 0\ncgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n';
  const hybrid = 'tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0\ncgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0\n'
    + 'cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,name=systemd 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n';
  const legacy = 'tmpfs /sys/fs/cgroup tmpfs rw 0 0\ncgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n';
  it('tells the cgroup layouts apart from /proc/mounts', () => {
    expect(cgroupLayout(unified)).toBe('unified');
    expect(cgroupLayout(hybrid)).toBe('hybrid');
    expect(cgroupLayout(legacy)).toBe('legacy');
    expect(cgroupLayout('proc /proc proc rw 0 0\n')).toBe('none');
    // the last mount on /sys/fs/cgroup is the one in effect
    expect(cgroupLayout(`${hybrid}cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n`)).toBe('unified');
  });
  it('unified is ok, v1 and hybrid warn with the kernel option, none fails', () => {
    expect(cgroupVerdict('unified').status).toBe('ok');
    for (const l of ['hybrid', 'legacy'] as const) {
      expect(cgroupVerdict(l).status).toBe('warn');
      expect(cgroupVerdict(l).fix).toContain('systemd.unified_cgroup_hierarchy=1');
    }
    expect(cgroupVerdict('none').status).toBe('fail');
  });
  it('PID 1 either way is ok, and says what changes', () => {
    expect(pid1Verdict(true, 'systemd')).toMatchObject({ status: 'ok' });
    expect(pid1Verdict(true, 'systemd').detail).toContain('machinectl');
    const plain = pid1Verdict(false, 'tini');
    expect(plain.status).toBe('ok');
    expect(plain.detail).toContain('tini');
    expect(plain.detail).toContain('--register=no --keep-unit');
    expect(plain.detail).toContain('nsenter');
  });
  it('machined matters only where systemd is PID 1', () => {
    expect(machinedVerdict(false).status).toBe('ok');
    expect(machinedVerdict(true, { exitCode: 0, timedOut: false, stderr: '' }).status).toBe('ok');
    const down = machinedVerdict(true, { exitCode: 1, timedOut: false, stderr: 'Failed to connect to bus: No such file or directory\n' });
    expect(down.status).toBe('fail');
    expect(down.detail).toContain('Failed to connect to bus');
    expect(down.fix).toContain('systemctl start systemd-machined');
    expect(machinedVerdict(true, { exitCode: undefined, timedOut: true, stderr: '' }).detail).toContain('no answer');
    expect(machinedVerdict(true, 'no-client').status).toBe('fail');
  });
});

describe('doctor: running the checks', () => {
  const v = (status: Verdict['status']): Verdict => ({ name: status, status, detail: '' });
  it('fail beats warn beats ok', () => {
    expect(overall([v('ok'), v('ok')])).toBe('ok');
    expect(overall([v('ok'), v('warn')])).toBe('warn');
    expect(overall([v('warn'), v('fail'), v('ok')])).toBe('fail');
    expect(overall([])).toBe('ok');
  });
  it('runs checks concurrently, keeps their order, turns a hang or a throw into a warning', async () => {
    const started = Date.now();
    const verdicts = await runChecks([
      { name: 'slow-ok', run: () => new Promise(r => setTimeout(() => r({ name: 'slow-ok', status: 'ok', detail: 'fine' }), 150)) },
      { name: 'hangs', run: () => new Promise(() => undefined) },
      { name: 'throws', run: () => Promise.reject(new Error('boom')) },
      { name: 'also-slow', run: () => new Promise(r => setTimeout(() => r({ name: 'also-slow', status: 'ok', detail: 'fine' }), 150)) },
    ], 300);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(verdicts.map(x => [x.name, x.status])).toEqual([['slow-ok', 'ok'], ['hangs', 'warn'], ['throws', 'warn'], ['also-slow', 'ok']]);
    expect(verdicts[1].detail).toContain('no answer within 300 ms');
    expect(verdicts[2].detail).toContain('boom');
  });
  it('waits for a check that cleans up after itself instead of abandoning it', async () => {
    let cleaned = false;
    const [verdict] = await runChecks([{
      name: 'probe', ownTimeouts: true,
      run: () => new Promise(r => setTimeout(() => { cleaned = true; r({ name: 'probe', status: 'ok', detail: 'done' }); }, 200)),
    }], 50);
    expect(verdict.status).toBe('ok');
    expect(cleaned).toBe(true);
  });
  it('has every documented check, each with a unique name', () => {
    const names = hostChecks('/var/lib/racker', catalogueKeyrings()).map(c => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of ['root', 'overlayfs', 'namespaces', 'systemd-nspawn', 'tool:skopeo', 'tool:umoci', 'tool:mmdebstrap', 'tool:setfattr',
      'tool:nsenter', 'keyring:debian-archive-keyring', 'firewall', 'cgroup', 'pid1', 'machined', 'store-space', 'store-fs']) {
      expect(names).toContain(n);
    }
    expect(hostChecks('/x').find(c => c.name === 'store-fs')?.ownTimeouts).toBe(true);
  });
});
