import { describe, expect, it } from 'vitest';
import { SERVICE_KEYS, TOP_LEVEL_KEYS } from '../../../src/compose/keys.js';
import { load, loadError } from './helpers.js';

const one = (body: string, top = '') => `services:\n  web:\n    image: nginx\n${body}\n${top}`;

describe('validation errors name the file, service and key', () => {
  it('build without image is refused with what to do', () => {
    expect(loadError({ 'compose.yaml': 'services:\n  app:\n    build: .\n' }))
      .toMatch(/compose\.yaml: service "app": build: racker cannot build images, and the service has no image: \| hint: build the image elsewhere, push it/);
  });

  it('build with image: the image is used, build warned about', () => {
    const { project } = load({ 'compose.yaml': 'services:\n  app:\n    image: app:1\n    build: .\n' });
    expect(project.services.app.image).toBe('app:1');
    expect(project.warnings).toContain('service "app": build is ignored (racker cannot build images); image app:1 is pulled');
  });

  it('no image, unknown keys, bad types', () => {
    expect(loadError({ 'compose.yaml': 'services:\n  app:\n    user: x\n' })).toMatch(/service "app": image: the service has no image/);
    expect(loadError({ 'compose.yaml': one('    imagee: x') })).toMatch(/compose\.yaml: service "web": imagee: not a Compose service key/);
    expect(loadError({ 'compose.yaml': one('    read_only: maybe') })).toMatch(/service "web": read_only: expected true or false, found 'maybe'/);
    expect(loadError({ 'compose.yaml': one('    user: [a]') })).toMatch(/service "web": user: expected a string, found a list/);
    expect(loadError({ 'compose.yaml': one('    restart: sometimes') })).toMatch(/restart: unknown policy 'sometimes'/);
    expect(loadError({ 'compose.yaml': one('    working_dir: app') })).toMatch(/working_dir: 'app' is not an absolute path/);
    expect(loadError({ 'compose.yaml': one('    hostname: -bad-') })).toMatch(/hostname: invalid hostname '-bad-'/);
    expect(loadError({ 'compose.yaml': one('    container_name: "a b"') })).toMatch(/container_name: invalid container name 'a b'/);
    expect(loadError({ 'compose.yaml': one('    container_name: fixed\n    scale: 2') })).toMatch(/a fixed container name cannot be used with scale 2/);
    expect(loadError({ 'compose.yaml': one('    pull_policy: build') })).toMatch(/pull_policy: racker cannot build images/);
    expect(loadError({ 'compose.yaml': one('    stop_signal: "SIG TERM"') })).toMatch(/stop_signal: invalid stop_signal "SIG TERM"/);
    expect(loadError({ 'compose.yaml': one('    depends_on: [nope]') })).toMatch(/service "web": depends_on: no service "nope"/);
    expect(loadError({ 'compose.yaml': 'services:\n  "bad name":\n    image: x\n' })).toMatch(/invalid service name 'bad name'/);
    expect(loadError({ 'compose.yaml': 'name: p\n' })).toMatch(/no services defined/);
    expect(loadError({ 'compose.yaml': 'services: [a]\n' })).toMatch(/services: expected a mapping of names/);
    expect(loadError({ 'compose.yaml': 'servces: {}\n' })).toMatch(/compose\.yaml: servces: not a Compose top-level key/);
  });

  it('the error names the file a service came from when several are merged', () => {
    expect(loadError({ 'compose.yaml': one(''), 'b.yaml': 'services:\n  web:\n    restart: never\n' }, { files: ['compose.yaml', 'b.yaml'] }))
      .toMatch(/b\.yaml: service "web": restart: unknown policy 'never'/);
  });

  it('include is refused; top-level networks and volumes are checked', () => {
    expect(loadError({ 'compose.yaml': `include: [other.yaml]\n${one('')}` })).toMatch(/include: not supported yet/);
    expect(loadError({ 'compose.yaml': one('', 'networks:\n  n:\n    driver: overlay') })).toMatch(/compose\.yaml: networks\.n\.driver: 'overlay' is not supported/);
    expect(loadError({ 'compose.yaml': one('', 'networks:\n  n:\n    external: true\n    internal: true') })).toMatch(/an external network takes only name/);
    expect(loadError({ 'compose.yaml': one('', 'networks:\n  n:\n    ipam: {config: [{subnet: nonsense}]}') })).toMatch(/ipam\.config\[0\]: expected \{subnet/);
    expect(loadError({ 'compose.yaml': one('', 'volumes:\n  v:\n    driver: nfs') })).toMatch(/volumes\.v\.driver: 'nfs' is not supported/);
    expect(loadError({ 'compose.yaml': one('', 'volumes:\n  v:\n    sise: 1') })).toMatch(/volumes\.v: sise: not a Compose key here/);
  });
});

describe('unsupported Compose keys are warned about, by name', () => {
  it('service keys, top-level keys, network and volume keys, x-racker keys', () => {
    const { project } = load({ 'compose.yaml': [
      'version: "3.8"',
      'services:', '  web:', '    image: nginx', '    cap_add: [NET_ADMIN]', '    deploy: {replicas: 2, resources: {limits: {cpus: "0.5"}, reservations: {memory: 1g, cpus: "1"}}}',
      '    privileged: true', '    group_add: [audio]',
      '    x-racker: {boot: false, colour: blue}',
      'networks:', '  n:', '    driver_opts: {a: b}',
      'volumes:', '  v:', '    driver_opts: {type: nfs}',
      'secrets:', '  s: {file: ./s}',
      'configs:', '  c: {file: ./c}',
    ].join('\n') });
    expect(project.warnings).toEqual(expect.arrayContaining([
      'compose.yaml: top-level version is obsolete and is ignored',
      'service "web": deploy.replicas is not supported by racker and is ignored',
      'service "web": deploy.resources.reservations.cpus is not supported by racker and is ignored',
      'service "web": group_add is not supported by racker and is ignored (racker run has no --group-add)',
      'service "web": x-racker.colour is not a racker setting and is ignored',
      'networks.n: driver_opts is not supported by racker and is ignored',
      'volumes.v: driver_opts is not supported by racker and is ignored',
    ]));
    expect(project.warnings).toHaveLength(7);
    // the keys racker run has flags for are applied, not warned
    expect(project.services.web).toMatchObject({ cap_add: ['NET_ADMIN'], privileged: true, cpus: 0.5 });
  });


  it('every key in the tables is either modelled, warned or refused (no silent ones)', () => {
    for (const [key, rule] of Object.entries({ ...SERVICE_KEYS, ...TOP_LEVEL_KEYS })) {
      expect(['supported', 'warned', 'refused'], key).toContain(rule.status);
    }
    // each warned service key really warns
    for (const [key, rule] of Object.entries(SERVICE_KEYS)) {
      if (rule.status !== 'warned') continue;
      const { project } = load({ 'compose.yaml': `services:\n  web:\n    image: nginx\n    ${key}: null\n` });
      expect(project.warnings.join('\n'), key).toContain(`service "web": ${key} is not supported by racker`);
    }
  });
});

describe('top-level networks and volumes', () => {
  it('names: <project>_<key>, name:, external', () => {
    const { project } = load({ 'compose.yaml': one('    networks: [front, ext, named]\n    volumes: [data:/d, old:/o, fixed:/f]', [
      'networks:', '  front: {internal: true, ipam: {config: [{subnet: 172.30.0.0/24, gateway: 172.30.0.1}]}}', '  ext: {external: true}', '  named: {name: my-net}',
      'volumes:', '  data: {labels: [a=b]}', '  old: {external: true, name: legacy}', '  fixed: {name: keep}',
    ].join('\n')) });
    expect(project.networks).toEqual({
      front: { name: 'proj_front', external: false, internal: true, driver: 'bridge', subnets: [{ subnet: '172.30.0.0/24', gateway: '172.30.0.1' }], labels: {} },
      ext: { name: 'ext', external: true, internal: false, driver: 'bridge', subnets: [], labels: {} },
      named: { name: 'my-net', external: false, internal: false, driver: 'bridge', subnets: [], labels: {} },
    });
    expect(project.volumes).toEqual({
      data: { name: 'proj_data', external: false, labels: { a: 'b' } },
      old: { name: 'legacy', external: true, labels: {} },
      fixed: { name: 'keep', external: false, labels: {} },
    });
  });
});
