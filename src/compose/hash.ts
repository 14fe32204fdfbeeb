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
  return createHash('sha256').update(stableJson(rest)).digest('hex');
}

/** JSON with every mapping's keys sorted (arrays keep their order: it means something). */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => byText(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
