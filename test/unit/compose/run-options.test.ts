import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configHash } from '../../../src/compose/hash.js';
import { LABEL } from '../../../src/compose/naming.js';
import { renderHashes, renderJson, renderYaml } from '../../../src/compose/render.js';
import { toRunOptions } from '../../../src/compose/to-run-options.js';
import { parse } from 'yaml';
import { load } from './helpers.js';

const FILE = [
  'name: shop',
  'services:',
  '  web:', '    image: nginx:1.25', '    command: nginx -g "daemon off;"', '    entrypoint: []', '    environment: {Z: "1", A: "2", UNSET: null}',
  '    working_dir: /srv', '    user: www', '    hostname: web1', '    labels: [tier=front]',
  '    volumes: ["./html:/html:ro", "data:/data", "/anon", {type: tmpfs, target: /tmp, tmpfs: {size: 1k}}]',
  '    ports: ["127.0.0.1:8080:80"]', '    expose: ["9000"]', '    networks: {front: {aliases: [www], ipv4_address: 10.5.0.9}, default: {}}',
  '    healthcheck: {test: [CMD, curl, -f, localhost], interval: 30s, timeout: 1500ms, retries: 3, start_period: 1m}',
  '    restart: unless-stopped', '    stop_signal: SIGQUIT', '    stop_grace_period: 1m30s', '    extra_hosts: {db: 10.0.0.2}',
  '    dns: [9.9.9.9]', '    tmpfs: [/run]', '    read_only: true', '    init: true', '    tty: true', '    stdin_open: true', '    pull_policy: always',
  '  os:', '    image: debian-bookworm', '    x-racker: {boot: true}', '    network_mode: host',
  'networks:', '  front: {name: shop-front}',
  'volumes:', '  data:',
].join('\n');

describe('service → run options', () => {
  it('maps every key, with real network and volume names and seconds', () => {
    const { project, cwd } = load({ 'compose.yaml': FILE });
    const web = project.services.web;
    expect(toRunOptions(project, web, 1)).toEqual({
      image: 'nginx:1.25', command: ['nginx', '-g', 'daemon off;'], entrypoint: [],
      env: [['A', '2'], ['Z', '1']], workdir: '/srv', user: 'www', hostname: 'web1', name: 'shop-web-1',
      labels: {
        tier: 'front', [LABEL.project]: 'shop', [LABEL.service]: 'web', [LABEL.number]: '1', [LABEL.hash]: configHash(web), [LABEL.oneoff]: 'False',
        [LABEL.workingDir]: cwd, [LABEL.configFiles]: path.join(cwd, 'compose.yaml'),
      },
      mounts: [
        { type: 'bind', source: path.join(cwd, 'html'), target: '/html', readOnly: true, createHostPath: true },
        { type: 'volume', source: 'shop_data', target: '/data', readOnly: false, nocopy: false },
        { type: 'volume', target: '/anon', readOnly: false, nocopy: false },
        { type: 'tmpfs', target: '/tmp', size: 1024 },
      ],
      ports: [{ target: 80, published: '8080', host_ip: '127.0.0.1', protocol: 'tcp' }], expose: ['9000'],
      networks: [{ name: 'shop_default', aliases: ['web'] }, { name: 'shop-front', aliases: ['web', 'www'], ipv4: '10.5.0.9' }],
      boot: false,
      healthcheck: { test: ['CMD', 'curl', '-f', 'localhost'], interval: 30, timeout: 1.5, retries: 3, startPeriod: 60 },
      restart: { name: 'unless-stopped' }, stopSignal: 'SIGQUIT', stopTimeout: 90,
      extraHosts: [['db', '10.0.0.2']], dns: ['9.9.9.9'], tmpfs: ['/run'], readOnly: true, init: true, tty: true, interactive: true, pullPolicy: 'always',
    });
    const os = toRunOptions(project, project.services.os, 3, { oneoff: true });
    expect(os).toMatchObject({ image: 'debian-bookworm', boot: true, networkMode: 'host', networks: [], name: 'shop-os-3' });
    expect(os.labels[LABEL.oneoff]).toBe('True');
    expect(os.command).toBeUndefined();
  });
});

describe('compose config output', () => {
  it('YAML and JSON say the same, normalised, and load back to the same hashes', () => {
    const { project } = load({ 'compose.yaml': FILE });
    const yaml = renderYaml(project);
    expect(parse(yaml)).toEqual(JSON.parse(renderJson(project)));
    const tree = parse(yaml) as { services: Record<string, Record<string, unknown>>; networks: unknown; volumes: unknown };
    expect(Object.keys(tree.services)).toEqual(['os', 'web']);
    expect(tree.services.web.healthcheck).toEqual({ test: ['CMD', 'curl', '-f', 'localhost'], interval: '30s', timeout: '1.5s', retries: 3, start_period: '1m0s' });
    expect(tree.services.web.stop_grace_period).toBe('1m30s');
    expect(tree.services.web.restart).toBe('unless-stopped');
    expect(tree.networks).toEqual({ default: { name: 'shop_default' }, front: { name: 'shop-front' } });
    expect(tree.volumes).toEqual({ data: { name: 'shop_data' } });
    // the normalised output is itself a compose file with the same meaning
    const again = load({ 'compose.yaml': yaml }).project;
    for (const s of ['web', 'os']) expect(configHash(again.services[s]), s).toBe(configHash(project.services[s]));
    expect(renderHashes(project, '*')).toBe(`os ${configHash(project.services.os)}\nweb ${configHash(project.services.web)}\n`);
  });
});
