import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configHash } from '../../../src/compose/hash.js';
import { LABEL } from '../../../src/compose/naming.js';
import { toRunOptions } from '../../../src/compose/to-run-options.js';
import { load, SHOP_FILE } from './helpers.js';

describe('service → run options', () => {
  it('maps every key, with real network and volume names and seconds', () => {
    const { project, cwd } = load({ 'compose.yaml': SHOP_FILE });
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
