import type { Engine } from '../engine/engine.js';
import type { ContainerRecord } from '../model/container.js';
import { byText } from '../compare.js';
import { isOneOff, labelOf } from './containers.js';
import { LABEL } from './naming.js';

/** One row of `compose ls`, docker compose's JSON field names. */
export interface ProjectRow { Name: string; Status: string; ConfigFiles: string }

/**
 * docker compose's STATUS of a project: each state with its count, sorted,
 * e.g. "exited(1), running(2)".
 */
export function projectStatus(states: ContainerRecord['state']['status'][]): string {
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => byText(a, b)).map(([s, n]) => `${s}(${n})`).join(', ');
}

/**
 * The compose projects the engine's containers belong to (by their labels),
 * one-off containers left out as docker compose does; without `all` only the
 * projects with a running container.
 */
export function projectRows(containers: ContainerRecord[], opts: { all?: boolean } = {}): ProjectRow[] {
  const byProject = new Map<string, ContainerRecord[]>();
  for (const c of containers) {
    const name = labelOf(c, LABEL.project);
    if (name === undefined || isOneOff(c)) continue;
    byProject.set(name, [...byProject.get(name) ?? [], c]);
  }
  const rows: ProjectRow[] = [];
  for (const [name, recs] of byProject) {
    if (!opts.all && !recs.some(c => c.state.status === 'running')) continue;
    const files = [...new Set(recs.flatMap(c => (labelOf(c, LABEL.configFiles) ?? '').split(',')).filter(Boolean))];
    rows.push({ Name: name, Status: projectStatus(recs.map(c => c.state.status)), ConfigFiles: files.join(',') });
  }
  return rows.sort((a, b) => byText(a.Name, b.Name));
}

export async function listProjects(engine: Engine, opts: { all?: boolean } = {}): Promise<ProjectRow[]> {
  return projectRows(await engine.containers.list({ all: true }), opts);
}
