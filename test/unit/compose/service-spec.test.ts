import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSpecInput } from '../../../src/engine/spec.js';
import { LABEL } from '../../../src/compose/naming.js';
import { serviceSpec, SYSTEMD_HEALTHCHECK } from '../../../src/compose/service-spec.js';
import { load, loadError, SHOP_FILE } from './helpers.js';

describe('service → the engine\'s ContainerSpecInput', () => {
  it('maps mounts, networks, ports, labels and times; says what it does not act on', () => {
    // racker refuses a tmpfs over /run (systemd-nspawn's own): the shop's /run becomes /cache here
    const { project, cwd } = load({ 'compose.yaml': SHOP_FILE.replace('tmpfs: [/run]', 'tmpfs: [/cache]') });
    const { input, warnings } = serviceSpec(project, project.services.web, 1);
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
        dns: ['9.9.9.9'], hosts: [['db', '10.0.0.2']],
      },
    });
    expect(input.labels).toMatchObject({ tier: 'front', [LABEL.project]: 'shop', [LABEL.service]: 'web', [LABEL.oneoff]: 'False' });
    // init, stop_signal and the healthcheck are the engine's fields, as --init, --stop-signal and --health-* fill them
    expect(input).toMatchObject({ init: true, stopSignal: 'SIGQUIT', healthcheck: { test: ['CMD', 'curl', '-f', 'localhost'], interval: 30e9, timeout: 1500e6, retries: 3, startPeriod: 60e9 } });
    expect(warnings).toEqual(['service web: restart: unless-stopped is not acted on: racker has no daemon to restart containers (docs/compose.md)']);
    // what it makes passes the engine's own checks
    expect(() => checkSpecInput(input)).not.toThrow();
    // a booted service without a healthcheck is checked for systemd having started
    expect(serviceSpec(project, project.services.os).input).toMatchObject({ boot: true, net: { network: 'host' }, healthcheck: SYSTEMD_HEALTHCHECK });
  });

  it('an entrypoint list: the first word is the entrypoint, the rest goes before the command', () => {
    const { project } = load({ 'compose.yaml': 'name: p\nservices:\n  a: {image: x, entrypoint: [sh, -c], command: [echo hi]}\n  b: {image: x, entrypoint: [tini]}\n' });
    expect(serviceSpec(project, project.services.a).input).toMatchObject({ entrypoint: 'sh', command: ['-c', 'echo hi'] });
    const b = serviceSpec(project, project.services.b).input;
    expect(b.entrypoint).toBe('tini');
    expect(b.command).toEqual([]);
  });

  it('network_mode service:NAME joins that service\'s first container; a published port without a host port is any free one', () => {
    const { project } = load({ 'compose.yaml': 'name: p\nservices:\n  a: {image: x, ports: ["80"]}\n  b: {image: x, network_mode: "service:a"}\n' });
    expect(serviceSpec(project, project.services.b).input.net).toMatchObject({ network: 'container:p-a-1' });
    expect(serviceSpec(project, project.services.a).input.net!.publish).toEqual([{ hostIp: undefined, hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
  });

  it('refuses a volume subpath with one line', () => {
    const { project } = load({ 'compose.yaml': 'name: p\nservices:\n  a: {image: x, volumes: [{type: volume, source: d, target: /d, volume: {subpath: sub}}]}\nvolumes:\n  d:\n' });
    expect(() => serviceSpec(project, project.services.a)).toThrow(/service a: volume subpath is not supported/);
  });
});

describe('published ports the engine cannot take', () => {
  it('a host port range for one container port is refused with one line', () => {
    const { project } = load({ 'compose.yaml': 'name: p\nservices:\n  a: {image: x, ports: [{target: 80, published: "8000-8010"}]}\n' });
    expect(() => serviceSpec(project, project.services.a)).toThrow(/service a: host port range 8000-8010 is not supported/);
  });
});

describe('the keys racker run has flags for', () => {
  const file = [
    'name: p', 'services:', '  a:', '    image: x',
    '    cap_add: [net_admin, CAP_SYS_TIME]', '    cap_drop: [MKNOD]', '    cpus: 1.5', '    cpu_shares: 512', '    mem_limit: 512m', '    memswap_limit: 1g',
    '    pids_limit: 100', '    privileged: true', '    security_opt: [no-new-privileges]', '    shm_size: 64m', '    sysctls: {kernel.shmmax: "1000000"}',
    '    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 512, core: -1}', '    devices: ["/dev/fuse", {source: /dev/null, target: /dev/mynull, permissions: r}]',
    '    init: true', '    stop_signal: INT',
  ].join('\n');

  it('reach the spec in the fields the flags fill, with the flags\' values', () => {
    const { project } = load({ 'compose.yaml': file });
    const { input } = serviceSpec(project, project.services.a);
    expect(input).toMatchObject({
      capAdd: ['NET_ADMIN', 'SYS_TIME'], capDrop: ['MKNOD'], nanoCpus: 1.5e9, cpuShares: 512, memory: 512 * 1024 ** 2, memorySwap: 1024 ** 3,
      pidsLimit: 100, privileged: true, securityOpt: ['no-new-privileges'], shmSize: 64 * 1024 ** 2, sysctls: { 'kernel.shmmax': '1000000' },
      ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }, { name: 'nproc', soft: 512, hard: 512 }, { name: 'core', soft: 'infinity', hard: 'infinity' }],
      devices: [{ hostPath: '/dev/fuse', containerPath: '/dev/fuse', permissions: 'rwm' }, { hostPath: '/dev/null', containerPath: '/dev/mynull', permissions: 'r' }],
      init: true, stopSignal: 'SIGINT',
    });
    expect(() => checkSpecInput(input)).not.toThrow();
  });

  it('deploy.resources.limits are --cpus, --memory and --pids-limit; the same limit twice must agree', () => {
    const { project } = load({ 'compose.yaml': 'name: p\nservices:\n  a:\n    image: x\n    deploy: {resources: {limits: {cpus: "0.25", memory: 64M, pids: 50}}}\n' });
    expect(serviceSpec(project, project.services.a).input).toMatchObject({ nanoCpus: 0.25e9, memory: 64 * 1024 ** 2, pidsLimit: 50 });
    expect(loadError({ 'compose.yaml': 'name: p\nservices:\n  a:\n    image: x\n    mem_limit: 1g\n    deploy: {resources: {limits: {memory: 2g}}}\n' }))
      .toMatch(/service "a": mem_limit: 1073741824 differs from deploy.resources.limits \(2147483648\)/);
  });

  it('mem_reservation and deploy.resources.reservations.memory are --memory-reservation', () => {
    const spec = (body: string) => { const { project } = load({ 'compose.yaml': `name: p\nservices:\n  a:\n    image: x\n${body}\n` }); return serviceSpec(project, project.services.a).input; };
    expect(spec('    mem_reservation: 32m')).toMatchObject({ memoryReservation: 32 * 1024 ** 2 });
    expect(spec('    deploy: {resources: {reservations: {memory: 16M, cpus: "1"}}}')).toMatchObject({ memoryReservation: 16 * 1024 ** 2 });
    expect(loadError({ 'compose.yaml': 'name: p\nservices:\n  a:\n    image: x\n    mem_limit: 16m\n    mem_reservation: 32m\n' }))
      .toMatch(/Minimum memory limit can not be less than memory reservation limit/);
  });

  it('are refused for what racker run refuses, in its words, led by the file, service and key', () => {
    const bad = (body: string) => loadError({ 'compose.yaml': `name: p\nservices:\n  a:\n    image: x\n${body}\n` });
    expect(bad('    cap_add: [NET_FLY]')).toMatch(/service "a": cap_add: unknown capability "NET_FLY" in cap_add \| hint: a name from capabilities\(7\)/);
    expect(bad('    cpus: lots')).toMatch(/service "a": cpus: invalid --cpus "lots"/);
    expect(bad('    mem_limit: 1q')).toMatch(/service "a": mem_limit: invalid mem_limit "1q" \| hint: a size such as 512m/);
    expect(bad('    mem_limit: 1m')).toMatch(/service "a": service: --memory is too small/);
    expect(bad('    memswap_limit: 1g')).toMatch(/--memory-swap needs --memory/);
    expect(bad('    sysctls: [net.ipv4.ip_forward=1]')).toMatch(/--sysctl net.ipv4.ip_forward is refused/);
    expect(bad('    security_opt: ["apparmor:unconfined"]')).toMatch(/--security-opt "apparmor:unconfined" is not supported/);
    expect(bad('    ulimits: {nofile: {soft: 10, hard: 5}}')).toMatch(/--ulimit nofile: soft limit 10 is above the hard limit 5/);
    expect(bad('    devices: [/etc/passwd]')).toMatch(/service "a": service: invalid --device "\/etc\/passwd"/);
    expect(bad('    stop_signal: NOPE')).toMatch(/stop_signal: invalid stop_signal "NOPE"/);
  });
});
