import { describe, expect, it } from 'vitest';
import { projectRows, projectStatus } from '../../../src/compose/projects.js';
import type { ContainerRecord } from '../../../src/model/container.js';

const rec = (project: string, status: ContainerRecord['state']['status'], extra: Record<string, string> = {}) => ({
  spec: { labels: { 'com.docker.compose.project': project, 'com.docker.compose.oneoff': 'False', 'com.docker.compose.project.config_files': `/p/${project}/compose.yaml`, ...extra } },
  state: { status },
}) as unknown as ContainerRecord;

describe('compose ls', () => {
  it('STATUS counts each state, sorted, as docker compose writes it', () => {
    expect(projectStatus(['running', 'exited', 'running'])).toBe('exited(1), running(2)');
    expect(projectStatus(['created'])).toBe('created(1)');
  });

  it('lists projects with a running container; --all also the stopped ones', () => {
    const recs = [rec('web', 'running'), rec('web', 'exited'), rec('old', 'exited'), rec('web', 'running', { 'com.docker.compose.oneoff': 'True' })];
    expect(projectRows(recs)).toEqual([{ Name: 'web', Status: 'exited(1), running(1)', ConfigFiles: '/p/web/compose.yaml' }]);
    expect(projectRows(recs, { all: true }).map(r => r.Name)).toEqual(['old', 'web']);
  });

  it('containers without compose labels are no project', () => {
    expect(projectRows([{ spec: {}, state: { status: 'running' } } as unknown as ContainerRecord], { all: true })).toEqual([]);
  });
});
