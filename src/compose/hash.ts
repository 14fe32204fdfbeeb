import { createHash } from 'node:crypto';
import type { ServiceConfig } from './types.js';
import { byText } from '../compare.js';

/**
 * The config hash docker compose stores as com.docker.compose.config-hash:
 * `up` recreates a container whose hash differs from its service's. It is a
 * sha256 over the resolved service as JSON with keys sorted, leaving out what
 * does not change a container: scale, depends_on, profiles and pull_policy
 * (as docker compose leaves out scale/replicas, depends_on, profiles,
 * pull_policy and build).
 */
export function configHash(service: ServiceConfig): string {
  const { scale: _scale, depends_on: _deps, profiles: _profiles, pull_policy: _pull, ...rest } = service;
  // keys a service does not use are left out, so adding a key to the model does not recreate every container
  for (const k of UNUSED_WHEN_EMPTY) if (isEmpty(rest[k])) delete rest[k];
  return createHash('sha256').update(stableJson(rest)).digest('hex');
}

const UNUSED_WHEN_EMPTY = ['cap_add', 'cap_drop', 'privileged', 'security_opt', 'sysctls', 'ulimits', 'devices', 'secrets', 'configs'] as const;
const isEmpty = (v: unknown) => v === false || (Array.isArray(v) && !v.length) || (!!v && typeof v === 'object' && !Object.keys(v).length);

/** JSON with every mapping's keys sorted (arrays keep their order: it means something). */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => byText(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
