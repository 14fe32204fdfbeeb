import { describe, expect, it } from 'vitest';
import { catalogueKeyrings } from '../../../../src/postroj/catalogue.js';
import { hostChecks } from '../../../../src/runtime/doctor/index.js';

describe('doctor: running the checks', () => {
  it('has every documented check, each with a unique name', () => {
    const names = hostChecks('/var/lib/racker', catalogueKeyrings()).map(c => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of ['root', 'overlayfs', 'namespaces', 'systemd-nspawn', 'tool:skopeo', 'tool:umoci', 'tool:mmdebstrap', 'tool:setfattr',
      'tool:nsenter', 'keyring:debian-archive-keyring', 'firewall', 'cgroup', 'pid1', 'machined', 'store-space', 'store-fs', 'signature-policy']) {
      expect(names).toContain(n);
    }
    expect(hostChecks('/x').find(c => c.name === 'store-fs')?.ownTimeouts).toBe(true);
  });
});
