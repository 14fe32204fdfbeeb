import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePortShort, parseVolumeShort, splitWords } from '../../../src/compose/normalize.js';
import { load, loadError } from './helpers.js';

const where = { file: 'compose.yaml', service: 'web', baseDir: '/proj' };
const svc = (body: string, extra = '') => load({ 'compose.yaml': `services:\n  web:\n    image: nginx\n${body}\n${extra}` }).project.services.web;

describe('ports, short syntax', () => {
  it('container port, host:container, ip, protocol, ranges', () => {
    expect(parsePortShort(where, 'p', '3000')).toEqual([{ target: 3000, protocol: 'tcp' }]);
    expect(parsePortShort(where, 'p', '8000:80')).toEqual([{ target: 80, published: '8000', protocol: 'tcp' }]);
    expect(parsePortShort(where, 'p', '127.0.0.1:8001:8001/udp')).toEqual([{ target: 8001, published: '8001', protocol: 'udp', host_ip: '127.0.0.1' }]);
    expect(parsePortShort(where, 'p', '127.0.0.1::80')).toEqual([{ target: 80, protocol: 'tcp', host_ip: '127.0.0.1' }]);
    expect(parsePortShort(where, 'p', '[::1]:6001:6001')).toEqual([{ target: 6001, published: '6001', protocol: 'tcp', host_ip: '::1' }]);
    expect(parsePortShort(where, 'p', '9090-9091:8080-8081')).toEqual([
      { target: 8080, published: '9090', protocol: 'tcp' }, { target: 8081, published: '9091', protocol: 'tcp' }]);
    expect(parsePortShort(where, 'p', '3000-3001')).toEqual([{ target: 3000, protocol: 'tcp' }, { target: 3001, protocol: 'tcp' }]);
    expect(parsePortShort(where, 'p', '9000-9010:80')).toEqual([{ target: 80, published: '9000-9010', protocol: 'tcp' }]);
  });

  it('bad ports are refused naming the service and entry', () => {
    expect(() => parsePortShort(where, 'ports[0]', '80:http')).toThrow(/compose\.yaml: service "web": ports\[0\]: invalid containerPort: http/);
    expect(() => parsePortShort(where, 'p', '70000')).toThrow(/invalid containerPort: 70000/);
    expect(() => parsePortShort(where, 'p', '1-3:1-2')).toThrow(/invalid ranges specified for container and host Ports: 1-2 and 1-3/);
    expect(() => parsePortShort(where, 'p', '80/sctp')).toThrow(/invalid proto: sctp/);
  });

  it('long syntax, and numbers as well as strings', () => {
    const web = svc('    ports:\n      - {target: 80, published: 8080, host_ip: 127.0.0.1, protocol: udp, mode: host, name: web}\n      - 8443:443');
    expect(web.ports).toEqual([
      { target: 80, published: '8080', host_ip: '127.0.0.1', protocol: 'udp', mode: 'host', name: 'web' },
      { target: 443, published: '8443', protocol: 'tcp' }]);
    expect(loadError({ 'compose.yaml': 'services:\n  web:\n    image: x\n    ports: [{target: 80, protocol: sctp}]\n' })).toMatch(/ports\[0\]\.protocol: unknown protocol 'sctp'/);
  });
});

describe('volumes, short syntax', () => {
  it('bind (./, /, ~), named, anonymous, modes', () => {
    expect(parseVolumeShort(where, 'v', './data:/data')).toEqual({ type: 'bind', source: '/proj/data', target: '/data', read_only: false, bind: { create_host_path: true } });
    expect(parseVolumeShort(where, 'v', '/etc/x:/x:ro,z')).toEqual({ type: 'bind', source: '/etc/x', target: '/x', read_only: true, bind: { create_host_path: true, selinux: 'z' } });
    expect(parseVolumeShort(where, 'v', '~/conf:/conf').source).toMatch(/\/conf$/);
    expect(parseVolumeShort(where, 'v', 'db:/var/lib/db:ro')).toEqual({ type: 'volume', source: 'db', target: '/var/lib/db', read_only: true, volume: { nocopy: false } });
    expect(parseVolumeShort(where, 'v', '/cache')).toEqual({ type: 'volume', target: '/cache', read_only: false, volume: { nocopy: false } });
    expect(parseVolumeShort(where, 'v', 'db:/d:nocopy').volume).toEqual({ nocopy: true });
  });

  it('bad volumes are refused', () => {
    expect(() => parseVolumeShort(where, 'volumes[1]', 'a:b:c:d')).toThrow(/volumes\[1\]: invalid volume/);
    expect(() => parseVolumeShort(where, 'v', 'db:/d:rx')).toThrow(/invalid mode: rx/);
    expect(() => parseVolumeShort(where, 'v', 'db:relative')).toThrow(/mount path must be absolute/);
  });

  it('long syntax: bind, volume, tmpfs; named volumes must be declared', () => {
    const { project, cwd } = load({ 'compose.yaml': [
      'services:', '  web:', '    image: x', '    volumes:',
      '      - {type: bind, source: ./site, target: /site, read_only: true}',
      '      - {type: volume, source: data, target: /data, volume: {nocopy: true, subpath: sub}}',
      '      - {type: tmpfs, target: /scratch, tmpfs: {size: 64m, mode: "1777"}}',
      'volumes:', '  data:',
    ].join('\n') });
    expect(project.services.web.volumes).toEqual([
      { type: 'bind', source: path.join(cwd, 'site'), target: '/site', read_only: true, bind: { create_host_path: false } },
      { type: 'volume', source: 'data', target: '/data', read_only: false, volume: { nocopy: true, subpath: 'sub' } },
      { type: 'tmpfs', target: '/scratch', read_only: false, tmpfs: { size: 64 * 1024 * 1024, mode: 0o1777 } },
    ]);
    expect(loadError({ 'compose.yaml': 'services:\n  web:\n    image: x\n    volumes: ["data:/data"]\n' }))
      .toMatch(/service "web": volumes: "data" is not defined in the top-level volumes/);
    expect(loadError({ 'compose.yaml': 'services:\n  web:\n    image: x\n    volumes: [{type: npipe, source: a, target: /a}]\n' }))
      .toMatch(/volumes\[0\]\.type: volume type 'npipe' is not supported/);
  });
});

describe('the other short syntaxes', () => {
  it('environment list and map; a name alone comes from the shell or .env, else stays unset', () => {
    const list = load({ 'compose.yaml': 'services:\n  web:\n    image: x\n    environment: [A=1, "B=x=y", C, D, E=]\n', '.env': 'D=fromdotenv\n' }, { env: { C: 'fromshell' } }).project.services.web;
    expect(list.environment).toEqual({ A: '1', B: 'x=y', C: 'fromshell', D: 'fromdotenv', E: '' });
    expect(svc('    environment: {A: 1, B: true, C: null, D: ""}').environment).toEqual({ A: '1', B: 'true', C: null, D: '' });
  });

  it('env_file: a path, a list, objects with required: false; environment wins over it', () => {
    const { project } = load({
      'compose.yaml': 'services:\n  web:\n    image: x\n    env_file: [a.env, {path: missing.env, required: false}]\n    environment: {B: env}\n',
      'a.env': 'A=file\nB=file\n',
    });
    expect(project.services.web.environment).toEqual({ A: 'file', B: 'env' });
    expect(project.services.web.env_file.map(f => [path.basename(f.path), f.required])).toEqual([['a.env', true], ['missing.env', false]]);
    expect(loadError({ 'compose.yaml': 'services:\n  web:\n    image: x\n    env_file: gone.env\n' })).toMatch(/env file .*gone\.env not found/);
  });

  it('depends_on list and map', () => {
    const deps = load({ 'compose.yaml': [
      'services:', '  a:', '    image: x', '    depends_on: [b]', '  b:', '    image: x',
      '    depends_on: {c: {condition: service_completed_successfully, required: false, restart: true}, d: {}}',
      '  c:', '    image: x', '  d:', '    image: x',
    ].join('\n') }).project.services;
    expect(deps.a.depends_on).toEqual({ b: { condition: 'service_started', required: true, restart: false } });
    expect(deps.b.depends_on).toEqual({
      c: { condition: 'service_completed_successfully', required: false, restart: true },
      d: { condition: 'service_started', required: true, restart: false },
    });
    expect(loadError({ 'compose.yaml': 'services:\n  a:\n    image: x\n    depends_on: {b: {condition: healthy}}\n  b:\n    image: x\n' }))
      .toMatch(/depends_on\.b\.condition: unknown condition 'healthy'/);
  });

  it('a long-syntax tmpfs mode is octal, at most 07777: "999" is refused, not made 1777', () => {
    const vol = (mode: string) => `    volumes: [{type: tmpfs, target: /t, tmpfs: {mode: ${mode}}}]`;
    expect(svc(vol('"1770"')).volumes[0].tmpfs).toEqual({ mode: 0o1770 });
    expect(svc(vol('0o700')).volumes[0].tmpfs).toEqual({ mode: 0o700 });
    expect(loadError({ 'compose.yaml': `services:\n  web:\n    image: x\n${vol('"999"')}\n` })).toMatch(/volumes\[0\]\.tmpfs\.mode: invalid mode '999'/);
    expect(loadError({ 'compose.yaml': `services:\n  web:\n    image: x\n${vol('99999')}\n` })).toMatch(/volumes\[0\]\.tmpfs\.mode: invalid mode 99999/);
  });

  it('healthcheck: test forms, durations, disable', () => {
    expect(svc('    healthcheck: {test: "curl -f localhost", interval: 1m30s, timeout: 500ms, start_period: 1h, retries: 5}').healthcheck)
      .toEqual({ test: ['CMD-SHELL', 'curl -f localhost'], interval: 90e9, timeout: 500e6, startPeriod: 3600e9, retries: 5 });
    expect(svc('    healthcheck: {test: [CMD, pg_isready, -U, pg]}').healthcheck).toEqual({ test: ['CMD', 'pg_isready', '-U', 'pg'] });
    expect(svc('    healthcheck: {test: [NONE]}').healthcheck).toEqual({ test: ['NONE'] });
    expect(svc('    healthcheck: {disable: true, interval: 5s}').healthcheck).toEqual({ test: ['NONE'] });
    expect(loadError({ 'compose.yaml': 'services:\n  web:\n    image: x\n    healthcheck: {test: [curl, x]}\n' })).toMatch(/healthcheck\.test: a list test starts with CMD/);
    expect(loadError({ 'compose.yaml': 'services:\n  web:\n    image: x\n    healthcheck: {interval: 5 minutes}\n' })).toMatch(/healthcheck\.interval: invalid duration '5 minutes'/);
  });

  it('networks list and map, command and entrypoint strings split as words', () => {
    const { project } = load({ 'compose.yaml': [
      'services:', '  a:', '    image: x', '    networks: [front, back]', '    command: sh -c "echo \'hi there\'" x\\ y',
      '  b:', '    image: x', '    networks: {front: {aliases: [web, www], ipv4_address: 172.20.0.5}, back: null}', '    entrypoint: ["/bin/sh", "-c"]',
      'networks:', '  front:', '  back:',
    ].join('\n') });
    expect(project.services.a.networks).toEqual({ front: { aliases: [] }, back: { aliases: [] } });
    expect(project.services.a.command).toEqual(['sh', '-c', "echo 'hi there'", 'x y']);
    expect(project.services.b.networks).toEqual({ front: { aliases: ['web', 'www'], ipv4_address: '172.20.0.5' }, back: { aliases: [] } });
    expect(project.services.b.entrypoint).toEqual(['/bin/sh', '-c']);
    expect(splitWords(`a "b \\"c\\"" '' d`)).toEqual(['a', 'b "c"', '', 'd']);
    expect(loadError({ 'compose.yaml': 'services:\n  a:\n    image: x\n    command: echo "open\n' })).toMatch(/service "a": command: unterminated " quote/);
  });

  it('a service without networks is on default; network_mode excludes networks', () => {
    const p = load({ 'compose.yaml': 'services:\n  a:\n    image: x\n  b:\n    image: x\n    network_mode: host\n' }).project;
    expect(p.services.a.networks).toEqual({ default: { aliases: [] } });
    expect(p.services.b.networks).toEqual({});
    expect(p.networks.default.name).toBe('proj_default');
    expect(loadError({ 'compose.yaml': 'services:\n  a:\n    image: x\n    network_mode: host\n    networks: [n]\nnetworks:\n  n:\n' })).toMatch(/network_mode and networks cannot both be set/);
    expect(loadError({ 'compose.yaml': 'services:\n  a:\n    image: x\n    networks: [nope]\n' })).toMatch(/networks: "nope" is not defined in the top-level networks/);
    expect(loadError({ 'compose.yaml': 'services:\n  a:\n    image: x\n    network_mode: bridge2\n' })).toMatch(/network_mode: unknown mode 'bridge2'/);
  });

  it('extra_hosts, dns and tmpfs as strings or lists; booleans and restart', () => {
    const web = svc([
      '    extra_hosts: ["db:10.0.0.2", "v6=::1", "br=[fe80::1]"]', '    dns: 9.9.9.9', '    tmpfs: /run',
      '    read_only: "true"', '    init: true', '    tty: yes', '    stdin_open: false', '    restart: on-failure:5',
      '    stop_signal: quit', '    stop_grace_period: 1m', '    pull_policy: if_not_present', '    user: 1000',
    ].join('\n'));
    expect(web).toMatchObject({
      extra_hosts: [['db', '10.0.0.2'], ['v6', '::1'], ['br', 'fe80::1']], dns: ['9.9.9.9'], tmpfs: ['/run'],
      read_only: true, init: true, tty: true, stdin_open: false, restart: { name: 'on-failure', maxRetries: 5 },
      stop_signal: 'SIGQUIT', stop_grace_period: 60_000, pull_policy: 'missing', user: '1000',
    });
    // as racker run refuses --init with --boot, with the same words
    expect(loadError({ 'compose.yaml': 'services:\n  web:\n    image: x\n    init: true\n    x-racker: {boot: true}\n' })).toMatch(/service "web": service: --init cannot be combined with --boot/);
    expect(svc('    restart: "no"').restart).toEqual({ name: 'no' });
    expect(svc('    restart: unless-stopped').restart).toEqual({ name: 'unless-stopped' });
  });
});
