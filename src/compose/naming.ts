import { RackerError } from '../errors.js';
import type { Project, ServiceConfig } from './types.js';

/**
 * Names and labels as docker compose gives them, so `racker ps` can filter
 * on `com.docker.compose.project` and tools that know compose recognise them.
 */

const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** docker compose's rule for a folder's name: lowercase, only [a-z0-9_-], no leading _ or -. */
export function normalizeProjectName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[_-]+/, '');
}

/** A name the user gave (-p, COMPOSE_PROJECT_NAME, name:) is checked, not silently changed. */
export function checkProjectName(name: string, from: string): string {
  if (!PROJECT_NAME.test(name)) {
    throw new RackerError(`invalid project name '${name.slice(0, 80)}' (from ${from})`, { hint: 'lowercase letters, digits, _ and -, starting with a letter or digit' });
  }
  return name;
}

/** `<project>-<service>-<n>`, or the service's container_name. */
export function containerName(project: string, service: ServiceConfig, n: number): string {
  return service.container_name ?? `${project}-${service.name}-${n}`;
}

/** A one-off container of `compose run`: `<project>-<service>-run-<id>`. */
export function oneOffName(project: string, service: string, id: string): string {
  return `${project}-${service}-run-${id}`;
}

export const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  hash: 'com.docker.compose.config-hash',
  oneoff: 'com.docker.compose.oneoff',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
} as const;

/** The labels a service's container n carries: the service's own, then compose's (which win). */
export function containerLabels(project: Project, service: ServiceConfig, n: number, hash: string, oneoff = false): Record<string, string> {
  return {
    ...service.labels,
    [LABEL.project]: project.name,
    [LABEL.service]: service.name,
    [LABEL.number]: String(n),
    [LABEL.hash]: hash,
    [LABEL.oneoff]: oneoff ? 'True' : 'False',
    [LABEL.workingDir]: project.workingDir,
    [LABEL.configFiles]: project.configFiles.join(','),
  };
}
