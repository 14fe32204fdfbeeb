import { randomHex } from '../random.js';
import type { Engine } from '../engine/engine.js';
import { oneOffName } from './naming.js';
import { serviceSpec } from './service-spec.js';
import { toRunOptions } from './to-run-options.js';
import type { Project } from './types.js';
import { selectServices, up, type Report } from './up.js';

export interface OneOffOptions { command?: string[]; rm?: boolean; interactive?: boolean; tty?: boolean; signal?: AbortSignal }

/**
 * `compose run SERVICE [CMD…]`: what the service depends on brought up, then
 * a one-off container `<project>-<service>-run-<id>` (label oneoff=True, no
 * published ports, as docker compose) run attached; its exit code.
 */
export async function runOneOff(engine: Engine, project: Project, service: string, opts: OneOffOptions, report: Report): Promise<number> {
  selectServices(project, [service]);
  const deps = Object.keys(project.services[service].depends_on).filter(d => project.services[d]);
  if (deps.length) await up(engine, project, { services: deps, signal: opts.signal }, report);
  const run = toRunOptions(project, project.services[service], 1, { oneoff: true });
  run.name = oneOffName(project.name, service, randomHex(6));
  run.ports = [];
  if (opts.command?.length) run.command = opts.command;
  const { input, warnings } = serviceSpec(project, run);
  for (const w of warnings) report(`warning: ${w}`);
  input.autoRemove = !!opts.rm;
  input.interactive = !!opts.interactive;
  input.tty = !!opts.tty;
  const { exitCode } = await engine.containers.run(input, { stdin: !!opts.interactive }, { pull: run.pullPolicy });
  return exitCode ?? 0;
}
