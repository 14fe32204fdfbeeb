import type { Engine } from '../engine/engine.js';
import type { ContainerRecord } from '../model/container.js';
import { isOneOff, labelOf, projectContainers, serviceOf } from './containers.js';
import { LABEL } from './naming.js';
import type { Project } from './types.js';

type Health = 'starting' | 'healthy' | 'unhealthy';

/** One row of `compose ps`, docker compose's JSON field names. */
export interface PsRow {
  ID: string; Name: string; Service: string; Project: string; Image: string; Command: string;
  State: ContainerRecord['state']['status']; Health: Health | ''; ExitCode: number; Ports: string;
  Publishers: { URL: string; TargetPort: number; PublishedPort: number; Protocol: string }[];
}

/** The project's containers (running ones, or all), with the health their supervisor recorded (engine/health.ts). */
export async function psRows(engine: Engine, project: Project, opts: { all?: boolean; services?: string[] } = {}): Promise<PsRow[]> {
  const recs = (await projectContainers(engine, project.name, { oneoff: true }))
    .filter(c => (opts.all || c.state.status === 'running') && (!opts.services?.length || opts.services.includes(serviceOf(c))));
  return recs.map(rec => {
    const health = rec.state.status === 'running' && !isOneOff(rec) ? rec.state.health?.status : undefined;
    const ports = rec.state.status === 'running' ? rec.state.ports ?? [] : [];
    return {
      ID: rec.id, Name: rec.name, Service: serviceOf(rec), Project: labelOf(rec, LABEL.project) ?? '', Image: rec.imageName,
      Command: rec.argv.join(' '), State: rec.state.status, Health: health ?? '', ExitCode: rec.state.exitCode ?? 0,
      Ports: ports.map(p => `${p.hostIp ?? '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}`).join(', '),
      Publishers: ports.map(p => ({ URL: p.hostIp ?? '0.0.0.0', TargetPort: p.containerPort, PublishedPort: p.hostPort, Protocol: p.protocol })),
    };
  });
}

/** docker compose's STATUS column: "running (healthy)", "exited (0)", "created". */
export function statusOf(row: PsRow): string {
  if (row.State === 'exited') return `exited (${row.ExitCode})`;
  return row.Health ? `${row.State} (${row.Health})` : row.State;
}
