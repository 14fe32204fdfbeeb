import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { keyTablesMarkdown, withKeyTables } from '../../../src/compose/keys-doc.js';
import { SERVICE_KEYS, TOP_LEVEL_KEYS } from '../../../src/compose/keys.js';

describe('the key tables of docs/compose.md', () => {
  it('are the ones keys.ts makes (node scripts/compose-keys-doc.mjs rewrites them)', () => {
    const doc = readFileSync(new URL('../../../docs/compose.md', import.meta.url), 'utf8');
    expect(withKeyTables(doc)).toBe(doc);
    for (const [key, rule] of Object.entries({ ...SERVICE_KEYS, ...TOP_LEVEL_KEYS })) expect(keyTablesMarkdown(), key).toContain(`| \`${key}\` | ${rule.status} |`);
  });

  it('no key is warned that racker run has a flag for', () => {
    // compose's name for each racker run flag beyond -it/--rm/-d (docs/run.md)
    const runFlags = [
      'cap_add', 'cap_drop', 'cpus', 'cpu_shares', 'devices', 'mem_limit', 'memswap_limit', 'mem_reservation', 'pids_limit', 'privileged', 'security_opt',
      'shm_size', 'sysctls', 'ulimits', 'platform', 'init', 'stop_signal', 'label_file', 'labels', 'healthcheck', 'tmpfs', 'read_only',
      'dns', 'extra_hosts', 'environment', 'env_file', 'working_dir', 'user', 'hostname', 'entrypoint', 'volumes', 'ports', 'networks',
      'network_mode', 'container_name', 'stop_grace_period', 'tty', 'stdin_open', 'pull_policy',
    ];
    for (const key of runFlags) expect(SERVICE_KEYS[key]?.status, key).toBe('supported');
  });
});
