import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { oneOffService } from '../../../src/compose/one-off.js';
import { serviceSpec } from '../../../src/compose/service-spec.js';
import { load } from './helpers.js';

const FILE = 'name: p\nservices:\n  a:\n    image: x\n    ports: ["8080:80"]\n    volumes: ["./d:/data"]\n    environment: {A: "1"}\n    entrypoint: [tini, --]\n';

describe('compose run\'s flags change the service, parsed as its keys are', () => {
  it('-e, -v, -w, -u, --entrypoint, -p, -l; the service\'s ports only with --service-ports', () => {
    const { project, cwd } = load({ 'compose.yaml': FILE });
    const svc = oneOffService(project.services.a, {
      env: ['B=2', 'FROM_SHELL'], volumes: ['./other:/data:ro', 'cache:/cache'], workdir: '/w', user: '1000', entrypoint: 'sh -c',
      publish: ['127.0.0.1:9000:90'], labels: ['k=v'], command: ['echo', 'hi'], cwd, shellEnv: { FROM_SHELL: 'yes' },
    });
    expect(svc).toMatchObject({
      environment: { A: '1', B: '2', FROM_SHELL: 'yes' }, working_dir: '/w', user: '1000', entrypoint: ['sh', '-c'], command: ['echo', 'hi'],
      labels: { k: 'v' }, ports: [{ target: 90, published: '9000', host_ip: '127.0.0.1', protocol: 'tcp' }],
    });
    expect(svc.volumes.map(v => [v.type, v.source, v.target, v.read_only])).toEqual([['bind', path.join(cwd, 'other'), '/data', true], ['volume', 'cache', '/cache', false]]);
    expect(oneOffService(project.services.a, { servicePorts: true }).ports).toEqual(project.services.a.ports);
    expect(oneOffService(project.services.a, { entrypoint: '' }).entrypoint).toEqual([]);
  });

  it('a one-off has the service\'s network aliases only with --use-aliases', () => {
    const { project } = load({ 'compose.yaml': FILE });
    const aliases = (use: boolean) => serviceSpec(project, oneOffService(project.services.a, {}), 1, { oneoff: { name: 'p-a-run-1', aliases: use } }).input.net!.networks![0].aliases;
    expect(aliases(false)).toEqual([]);
    expect(aliases(true)).toEqual(['a']);
  });
});
