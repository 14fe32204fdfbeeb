import { randomHex } from '../random.js';
import type { Engine } from '../engine/engine.js';
import { oneOffName } from './naming.js';
import { ensureResources } from './resources.js';
import { filesDir, removeServiceFiles, writeServiceFiles } from './secrets.js';
import { serviceSpec } from './service-spec.js';
import type { Project } from './types.js';
import { bootsImage, selectServices, up, type Report } from './up.js';

export interface OneOffOptions { command?: string[]; rm?: boolean; interactive?: boolean; tty?: boolean; signal?: AbortSignal }

/**
 * `compose run SERVICE [CMD…]`: what the service depends on brought up, the
 * networks and volumes it uses made (also on a project never brought up),
 * then a one-off container `<project>-<service>-run-<id>` (label
 * oneoff=True, no published ports, as docker compose) run attached; its
 * exit code.
 */
export async function runOneOff(engine: Engine, project: Project, service: string, opts: OneOffOptions, report: Report): Promise<number> {
  selectServices(project, [service]);
  const svc = project.services[service];
  const deps = Object.keys(svc.depends_on).filter(d => project.services[d]);
  if (deps.length) await up(engine, project, { services: deps, signal: opts.signal }, report);
  const made = await ensureResources(engine, project, [svc]);
  for (const n of made.networks) report(`Network ${n}  Created`);
  for (const v of made.volumes) report(`Volume ${v}  Created`);
  const name = oneOffName(project.name, service, randomHex(6));
  const dir = filesDir(engine, project, svc, 1, name);
  const { input, files, warnings } = serviceSpec(project, svc, 1, { oneoff: { name }, command: opts.command, filesDir: dir, boots: bootsImage(engine, svc) });
  for (const w of warnings) report(`warning: ${w}`);
  input.autoRemove = !!opts.rm;
  input.interactive = !!opts.interactive;
  input.tty = !!opts.tty;
  await writeServiceFiles(project, svc, files);
  try {
    const { exitCode } = await engine.containers.run(input, { stdin: !!opts.interactive }, { pull: svc.pull_policy });
    return exitCode ?? 0;
  } finally {
    // a kept one-off container keeps its files until `down` removes it
    if (opts.rm) await removeServiceFiles(dir);
  }
}
