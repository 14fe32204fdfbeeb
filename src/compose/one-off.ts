import { randomHex } from '../random.js';
import type { Engine } from '../engine/engine.js';
import { keyValues, parsePortShort, parseVolumeShort, splitWords, type Where } from './normalize.js';
import { oneOffName } from './naming.js';
import { ensureResources } from './resources.js';
import { filesDir, removeServiceFiles, writeServiceFiles } from './secrets.js';
import { serviceSpec } from './service-spec.js';
import type { Project, ServiceConfig } from './types.js';
import { bootsImage, selectServices, up, type Report } from './up.js';

/** `compose run`'s flags, as the command line gave them (docker compose's). */
export interface OneOffOptions {
  command?: string[];
  rm?: boolean;
  interactive?: boolean;
  tty?: boolean;
  /** -d: start it and return its name */
  detach?: boolean;
  /** -e KEY=VALUE (KEY alone: from this environment) */
  env?: string[];
  /** -v, the service's short volume syntax */
  volumes?: string[];
  workdir?: string;
  user?: string;
  /** --entrypoint, split into words as the file's string form is */
  entrypoint?: string;
  name?: string;
  /** do not bring up what the service depends on */
  noDeps?: boolean;
  /** -p, the service's short port syntax */
  publish?: string[];
  /** publish the service's own ports */
  servicePorts?: boolean;
  /** keep the service's network aliases */
  useAliases?: boolean;
  /** -l KEY=VALUE */
  labels?: string[];
  signal?: AbortSignal;
  /** where -v paths and -e without a value are resolved (default process.cwd() and process.env) */
  cwd?: string;
  shellEnv?: Record<string, string | undefined>;
}

/**
 * The service as `compose run`'s flags change it: each flag parsed by the
 * grammar of the key it overrides (-v as volumes:, -p as ports:, -e as
 * environment:), so the one-off goes through the same serviceSpec as `up`.
 */
export function oneOffService(service: ServiceConfig, opts: OneOffOptions): ServiceConfig {
  const where: Where = { file: 'compose run', service: service.name, baseDir: opts.cwd ?? process.cwd() };
  const shell = opts.shellEnv ?? process.env;
  const extra = (opts.volumes ?? []).map((v, i) => parseVolumeShort(where, `-v[${i}]`, v));
  const env = keyValues(where, '-e', opts.env ?? [], true);
  const out: ServiceConfig = {
    ...service,
    environment: { ...service.environment, ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v ?? shell[k] ?? null])) },
    labels: { ...service.labels, ...keyValues(where, '-l', opts.labels ?? [], false) as Record<string, string> },
    // docker compose run publishes nothing of the service's unless asked
    ports: [...(opts.servicePorts ? service.ports : []), ...(opts.publish ?? []).flatMap((p, i) => parsePortShort(where, `-p[${i}]`, p))],
    // a -v at a target the service mounts too replaces it
    volumes: [...service.volumes.filter(v => !extra.some(e => e.target === v.target)), ...extra],
  };
  if (opts.workdir !== undefined) out.working_dir = opts.workdir;
  if (opts.user !== undefined) out.user = opts.user;
  if (opts.entrypoint !== undefined) out.entrypoint = opts.entrypoint === '' ? [] : splitWords(opts.entrypoint);
  if (opts.command?.length) out.command = opts.command;
  return out;
}

/**
 * `compose run SERVICE [CMD…]`: what the service depends on brought up
 * (unless --no-deps), the networks and volumes it uses made (also on a
 * project never brought up), then a one-off container
 * `<project>-<service>-run-<id>` (label oneoff=True) run attached, or
 * started with -d; its exit code (0 with -d).
 */
export async function runOneOff(engine: Engine, project: Project, service: string, opts: OneOffOptions, report: Report): Promise<number> {
  selectServices(project, [service]);
  const svc = oneOffService(project.services[service], opts);
  const deps = Object.keys(svc.depends_on).filter(d => project.services[d]);
  if (deps.length && !opts.noDeps) await up(engine, project, { services: deps, signal: opts.signal }, report);
  // the service's own networks and volumes (a -v NAME is a plain volume, made by the engine as racker run makes it)
  const made = await ensureResources(engine, project, [project.services[service]]);
  for (const n of made.networks) report(`Network ${n}  Created`);
  for (const v of made.volumes) report(`Volume ${v}  Created`);
  const name = opts.name ?? oneOffName(project.name, service, randomHex(6));
  const dir = filesDir(engine, project, svc, 1, name);
  const { input, files, warnings } = serviceSpec(project, svc, 1, { oneoff: { name, aliases: !!opts.useAliases }, filesDir: dir, boots: bootsImage(engine, svc) });
  for (const w of warnings) report(`warning: ${w}`);
  input.autoRemove = !!opts.rm;
  input.interactive = !!opts.interactive && !opts.detach;
  input.tty = !!opts.tty;
  await writeServiceFiles(project, svc, files);
  try {
    const r = await engine.containers.run(input, { stdin: input.interactive, detach: !!opts.detach }, { pull: svc.pull_policy });
    if (opts.detach) process.stdout.write(`${r.name}\n`);
    return r.exitCode ?? 0;
  } finally {
    // a kept one-off container keeps its files until `down` removes it
    if (opts.rm && !opts.detach) await removeServiceFiles(dir);
  }
}
