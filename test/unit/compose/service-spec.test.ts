import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSpecInput } from '../../../src/engine/spec.js';
import { LABEL } from '../../../src/compose/naming.js';
import { serviceSpec } from '../../../src/compose/service-spec.js';
import { toRunOptions } from '../../../src/compose/to-run-options.js';
import { load, SHOP_FILE } from './helpers.js';

describe('service → the engine\'s ContainerSpecInput', () => {
  it('maps mounts, networks, ports, labels and times; says what it does not act on', () => {
    // racker refuses a tmpfs over /run (systemd-nspawn's own): the shop's /run becomes /cache here
    const { project, cwd } = load({ 'compose.yaml': SHOP_FILE.replace('tmpfs: [/run]', 'tmpfs: [/cache]') });
    const { input, warnings } = serviceSpec(project, toRunOptions(project, project.services.web, 1));
    expect(input).toMatchObject({
      image: 'nginx:1.25', name: 'shop-web-1', env: [['A', '2'], ['Z', '1']], workdir: '/srv', user: 'www', hostname: 'web1',
      // entrypoint: [] clears the image's; the command stays
      entrypoint: '', command: ['nginx', '-g', 'daemon off;'],
      tty: true, interactive: true, readOnly: true, stopTimeout: 90,
      volumes: [{ source: path.join(cwd, 'html'), target: '/html', readOnly: true }],
      mounts: [
        { kind: 'volume', name: 'shop_data', target: '/data', readOnly: false, anonymous: false, noCopy: false },
        { kind: 'volume', name: '', target: '/anon', readOnly: false, anonymous: true, noCopy: false },
        { kind: 'tmpfs', target: '/tmp', size: 1024, readOnly: false, flags: [] },
        { kind: 'tmpfs', target: '/cache', readOnly: false },
      ],
      net: {
        networks: [{ name: 'shop_default', aliases: ['web'] }, { name: 'shop-front', aliases: ['web', 'www'], ip: '10.5.0.9' }],
        publish: [{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
        dns: ['9.9.9.9'], addHosts: ['db:10.0.0.2'],
      },
    });
    expect(input.labels).toMatchObject({ tier: 'front', [LABEL.project]: 'shop', [LABEL.service]: 'web', [LABEL.oneoff]: 'False' });
    expect(warnings).toEqual([
      'service web: restart: unless-stopped is not acted on: racker has no daemon to restart containers (docs/compose.md)',
      'service web: init: true is not applied yet',
      'service web: stop_signal SIGQUIT is not applied yet: containers stop with SIGTERM',
    ]);
    // what it makes passes the engine's own checks
    expect(() => checkSpecInput(input)).not.toThrow();
    expect(serviceSpec(project, toRunOptions(project, project.services.os, 1)).input).toMatchObject({ boot: true, net: { network: 'host' } });
  });

  it('an entrypoint list: the first word is the entrypoint, the rest goes before the command', () => {
    const { project } = load({ 'compose.yaml': 'name: p\nservices:\n  a: {image: x, entrypoint: [sh, -c], command: [echo hi]}\n  b: {image: x, entrypoint: [tini]}\n' });
    expect(serviceSpec(project, toRunOptions(project, project.services.a)).input).toMatchObject({ entrypoint: 'sh', command: ['-c', 'echo hi'] });
    const b = serviceSpec(project, toRunOptions(project, project.services.b)).input;
    expect(b.entrypoint).toBe('tini');
    expect(b.command).toEqual([]);
  });

  it('network_mode service:NAME joins that service\'s first container; a published port without a host port is any free one', () => {
    const { project } = load({ 'compose.yaml': 'name: p\nservices:\n  a: {image: x, ports: ["80"]}\n  b: {image: x, network_mode: "service:a"}\n' });
    expect(serviceSpec(project, toRunOptions(project, project.services.b)).input.net).toMatchObject({ network: 'container:p-a-1' });
    expect(serviceSpec(project, toRunOptions(project, project.services.a)).input.net!.publish).toEqual([{ hostIp: undefined, hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
  });

  it('refuses a volume subpath with one line', () => {
    const { project } = load({ 'compose.yaml': 'name: p\nservices:\n  a: {image: x, volumes: [{type: volume, source: d, target: /d, volume: {subpath: sub}}]}\nvolumes:\n  d:\n' });
    expect(() => serviceSpec(project, toRunOptions(project, project.services.a))).toThrow(/service a: volume subpath is not supported/);
  });
});

describe('published ports the engine cannot take', () => {
  it('a host port range for one container port is refused with one line', () => {
    const { project } = load({ 'compose.yaml': 'name: p\nservices:\n  a: {image: x, ports: [{target: 80, published: "8000-8010"}]}\n' });
    expect(() => serviceSpec(project, toRunOptions(project, project.services.a))).toThrow(/service a: host port range 8000-8010 is not supported/);
  });
});
