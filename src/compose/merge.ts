import type { PortConfig, VolumeMount } from './types.js';
import type { RawService } from './normalize.js';

/**
 * The Compose specification's merge rules, on normalised services (long
 * syntax on both sides), used for `-f a -f b` and for `extends`:
 * - mappings are merged key by key, the later value winning (environment,
 *   labels, extra_hosts, networks, depends_on, healthcheck, x-racker, …);
 * - command, entrypoint and healthcheck.test are replaced, never appended;
 * - ports are unique by {host_ip, target, published, protocol}, volumes by
 *   target: an entry with the same key replaces the earlier one, others are
 *   appended;
 * - other sequences (expose, dns, tmpfs, env_file, profiles) are appended,
 *   duplicates dropped;
 * - scalars are replaced.
 */

const REPLACED = new Set(['command', 'entrypoint']);
const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function uniqueBy<T>(base: T[], over: T[], key: (item: T) => string): T[] {
  const out = new Map<string, T>();
  for (const item of [...base, ...over]) {
    const k = key(item);
    // a replaced entry keeps its place, as docker compose config shows it
    out.set(k, item);
  }
  return [...out.values()];
}

const portKey = (p: PortConfig) => JSON.stringify([p.host_ip ?? '', p.target, p.published ?? '', p.protocol]);
const volumeKey = (v: VolumeMount) => v.target;

/** Deep merge of two mappings: maps merged, sequences appended without duplicates, the rest replaced. */
export function mergeMappings(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (isMap(b) && isMap(v)) out[k] = mergeMappings(b, v);
    else if (Array.isArray(b) && Array.isArray(v)) out[k] = uniqueBy(b, v, x => JSON.stringify(x));
    else out[k] = v;
  }
  return out;
}

export function mergeService(base: RawService, over: RawService): RawService {
  const out: RawService = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (b === undefined || REPLACED.has(k)) out[k] = v;
    else if (k === 'ports' && Array.isArray(b) && Array.isArray(v)) out[k] = uniqueBy(b as PortConfig[], v as PortConfig[], portKey);
    else if (k === 'volumes' && Array.isArray(b) && Array.isArray(v)) out[k] = uniqueBy(b as VolumeMount[], v as VolumeMount[], volumeKey);
    else if (k === 'healthcheck' && isMap(b) && isMap(v)) out[k] = { ...b, ...v };
    else if (k === 'networks' && isMap(b) && isMap(v)) {
      const nets: Record<string, unknown> = { ...b };
      for (const [n, cfg] of Object.entries(v)) nets[n] = isMap(nets[n]) && isMap(cfg) ? { ...(nets[n] as object), ...cfg } : (cfg ?? nets[n] ?? null);
      out[k] = nets;
    } else if (isMap(b) && isMap(v)) out[k] = mergeMappings(b, v);
    else if (Array.isArray(b) && Array.isArray(v)) out[k] = uniqueBy(b, v, x => JSON.stringify(x));
    else out[k] = v;
  }
  return out;
}
