import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { load } from './helpers.js';

describe('merging -f files', () => {
  const base = [
    'services:', '  web:', '    image: nginx', '    command: ["echo", "base"]', '    entrypoint: /base',
    '    environment: {A: "1", B: "1"}', '    labels: [x=1]',
    '    ports: ["8080:80", "127.0.0.1:9000:9000"]', '    volumes: ["./a:/data", "logs:/logs"]', '    expose: ["1000"]',
    '    dns: [1.1.1.1]', '    healthcheck: {test: ["CMD", "true"], interval: 10s, retries: 2}',
    '    networks: {front: {aliases: [a]}}', '    depends_on: [db]', '    extra_hosts: ["h1=1.2.3.4"]',
    '  db:', '    image: postgres',
    'networks:', '  front: {labels: {a: "1"}}',
    'volumes:', '  logs:',
  ].join('\n');
  const over = [
    'services:', '  web:', '    command: echo over', '    environment: [B=2, C=3]', '    labels: {y: "2"}',
    '    ports: ["8080:80", "8443:443"]', '    volumes: [{type: bind, source: ./b, target: /data}]', '    expose: ["1000", "2000"]',
    '    dns: [8.8.8.8]', '    healthcheck: {test: "exit 0", interval: 1m}',
    '    networks: {front: {ipv4_address: 10.0.0.5}, back: {}}', '    depends_on: {db: {condition: service_healthy}}',
    '    extra_hosts: {h1: 5.6.7.8, h2: "::1"}',
    '  cache:', '    image: redis',
    'networks:', '  front: {internal: true}', '  back:',
  ].join('\n');
  const third = 'services:\n  web:\n    image: nginx:2\n    entrypoint: []\n    environment: {C: "three"}\n';

  it('two files: maps merged, commands replaced, ports and volumes by key, other lists appended', () => {
    const { project, cwd } = load({ 'compose.yaml': base, 'over.yaml': over }, { files: ['compose.yaml', 'over.yaml'] });
    const web = project.services.web;
    expect(web.command).toEqual(['echo', 'over']);
    expect(web.entrypoint).toEqual(['/base']);
    expect(web.environment).toEqual({ A: '1', B: '2', C: '3' });
    expect(web.labels).toEqual({ x: '1', y: '2' });
    expect(web.ports.map(p => `${p.host_ip ?? ''}:${p.published}:${p.target}`)).toEqual([':8080:80', '127.0.0.1:9000:9000', ':8443:443']);
    expect(web.volumes.map(v => [v.type, v.source, v.target])).toEqual([['bind', path.join(cwd, 'b'), '/data'], ['volume', 'logs', '/logs']]);
    expect(web.expose).toEqual(['1000', '2000']);
    expect(web.dns).toEqual(['1.1.1.1', '8.8.8.8']);
    expect(web.healthcheck).toEqual({ test: ['CMD-SHELL', 'exit 0'], interval: 60e9, retries: 2 });
    expect(web.networks).toEqual({ front: { aliases: ['a'], ipv4_address: '10.0.0.5' }, back: { aliases: [] } });
    expect(web.depends_on).toEqual({ db: { condition: 'service_healthy', required: true, restart: false } });
    expect(web.extra_hosts).toEqual([['h1', '5.6.7.8'], ['h2', '::1']]);
    expect(Object.keys(project.services).sort()).toEqual(['cache', 'db', 'web']);
    expect(project.networks.front).toMatchObject({ name: 'proj_front', internal: true, labels: { a: '1' } });
    expect(project.networks.back.name).toBe('proj_back');
  });

  it('three files merge in order', () => {
    const { project } = load({ 'compose.yaml': base, 'over.yaml': over, 'third.yaml': third }, { files: ['compose.yaml', 'over.yaml', 'third.yaml'] });
    const web = project.services.web;
    expect(web.image).toBe('nginx:2');
    expect(web.entrypoint).toEqual([]);
    expect(web.command).toEqual(['echo', 'over']);
    expect(web.environment).toEqual({ A: '1', B: '2', C: 'three' });
  });
});
