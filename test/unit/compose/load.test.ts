import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/compose/load.js';
import { normalizeProjectName } from '../../../src/compose/naming.js';
import { load, loadError, projectDir } from './helpers.js';

const WEB = 'services:\n  web:\n    image: nginx\n';

describe('finding the files', () => {
  it('takes compose.yaml first, warns about the others, and adds compose.override.yaml', () => {
    const { project, cwd } = load({
      'compose.yaml': WEB, 'docker-compose.yml': 'services:\n  other:\n    image: x\n',
      'compose.override.yaml': 'services:\n  web:\n    user: "1000"\n',
    });
    expect(project.configFiles).toEqual([path.join(cwd, 'compose.yaml'), path.join(cwd, 'compose.override.yaml')]);
    expect(Object.keys(project.services)).toEqual(['web']);
    expect(project.services.web.user).toBe('1000');
    expect(project.warnings.join('\n')).toMatch(/several compose files .*compose\.yaml, docker-compose\.yml/);
  });

  it('each name is found, also from a subfolder', () => {
    for (const name of ['compose.yml', 'docker-compose.yaml', 'docker-compose.yml']) {
      const dir = projectDir({ [name]: WEB, 'sub/deeper/.keep': '' });
      const p = loadProject({ env: {}, cwd: path.join(dir, 'sub/deeper') });
      expect(p.configFiles).toEqual([path.join(dir, name)]);
      expect(p.workingDir).toBe(dir);
    }
  });

  it('none found: one line saying where it looked', () => {
    const dir = projectDir({ 'README': '' });
    expect(() => loadProject({ env: {}, cwd: dir })).toThrow(/no compose file found in .*proj or above/);
  });

  it('-f names files, relative to the current folder; COMPOSE_FILE too', () => {
    const dir = projectDir({ 'a.yaml': WEB, 'b.yaml': 'services:\n  web:\n    user: "2"\n' });
    expect(loadProject({ env: {}, cwd: dir, files: ['a.yaml', 'b.yaml'] }).services.web.user).toBe('2');
    expect(loadProject({ env: { COMPOSE_FILE: 'a.yaml:b.yaml' }, cwd: dir }).services.web.user).toBe('2');
    expect(() => loadProject({ env: {}, cwd: dir, files: ['missing.yaml'] })).toThrow(/compose file .*missing\.yaml not found/);
  });
});

describe('the project name', () => {
  it('is the folder, normalised as docker compose does', () => {
    expect(normalizeProjectName('My.App_2-x')).toBe('myapp_2-x');
    expect(normalizeProjectName('__Hello World')).toBe('helloworld');
    const dir = projectDir({ 'compose.yaml': WEB }, 'My Project.v2');
    expect(loadProject({ env: {}, cwd: dir }).name).toBe('myprojectv2');
  });

  it('-p over COMPOSE_PROJECT_NAME over name: over the folder', () => {
    const files = { 'compose.yaml': `name: fromfile\n${WEB}` };
    expect(load(files).project.name).toBe('fromfile');
    expect(load(files, { env: { COMPOSE_PROJECT_NAME: 'fromenv' } }).project.name).toBe('fromenv');
    expect(load({ ...files, '.env': 'COMPOSE_PROJECT_NAME=fromdotenv\n' }).project.name).toBe('fromdotenv');
    expect(load(files, { env: { COMPOSE_PROJECT_NAME: 'fromenv' }, projectName: 'fromflag' }).project.name).toBe('fromflag');
  });

  it('a given name that is not valid is refused, not changed', () => {
    expect(loadError({ 'compose.yaml': WEB }, { projectName: 'My App' })).toMatch(/invalid project name 'My App' \(from -p\)/);
    expect(loadError({ 'compose.yaml': `name: Bad!\n${WEB}` })).toMatch(/invalid project name 'Bad!' \(from name:\)/);
  });
});

describe('.env and --env-file', () => {
  const files = {
    'compose.yaml': 'services:\n  web:\n    image: "nginx:${TAG}"\n    environment:\n      FROM: "${WHERE}"\n      ONLY_DOTENV: "${D}"\n',
    '.env': '# comment\nTAG=dotenv\nWHERE=dotenv\nD="quoted ${TAG}"\nexport E=\'lit ${TAG}\'\n',
    'other.env': 'TAG=envfile\nWHERE=envfile\n',
  };

  it('the project .env is read', () => {
    const { project } = load(files);
    expect(project.services.web.image).toBe('nginx:dotenv');
    expect(project.services.web.environment.ONLY_DOTENV).toBe('quoted dotenv');
    expect(project.environment.E).toBe('lit ${TAG}');
  });

  it('the shell environment wins over .env', () => {
    const { project } = load(files, { env: { TAG: 'shell' } });
    expect(project.services.web.image).toBe('nginx:shell');
    expect(project.services.web.environment.FROM).toBe('dotenv');
  });

  it('--env-file replaces .env, later files win, the shell still wins', () => {
    const cwd = projectDir({ ...files, 'last.env': 'WHERE=last\n' });
    const p = loadProject({ cwd, env: { TAG: 'shell' }, envFiles: ['other.env', 'last.env'] });
    expect(p.services.web.image).toBe('nginx:shell');
    expect(p.services.web.environment.FROM).toBe('last');
    expect(p.services.web.environment.ONLY_DOTENV).toBe('');
    expect(() => loadProject({ cwd, env: {}, envFiles: ['none.env'] })).toThrow(/env file .*none\.env not found/);
  });

  it('a bad line names the file and line', () => {
    expect(loadError({ 'compose.yaml': WEB, '.env': 'A=1\nnot a var\n' })).toMatch(/\.env:2: invalid variable name 'not a var'/);
  });
});

describe('YAML: anchors, merge keys, x- keys', () => {
  it('anchors and << merge keys are expanded; x- keys are ignored everywhere', () => {
    const { project } = load({
      'compose.yaml': [
        'x-defaults: &defaults', '  restart: always', '  environment: &env', '    A: "1"', '    B: "2"',
        'x-anything: {whatever: [1, 2]}',
        'services:',
        '  web:', '    <<: *defaults', '    image: nginx', '    x-note: hello',
        '  api:', '    <<: *defaults', '    image: api', '    restart: "no"', '    environment:', '      <<: *env', '      B: over',
        'networks:', '  x-ignored: {}', '  back: {}',
      ].join('\n'),
    });
    expect(project.services.web.restart).toEqual({ name: 'always' });
    expect(project.services.web.environment).toEqual({ A: '1', B: '2' });
    expect(project.services.api.restart).toEqual({ name: 'no' });
    expect(project.services.api.environment).toEqual({ A: '1', B: 'over' });
    expect(Object.keys(project.networks).sort()).toEqual(['back', 'default']);
    expect(project.warnings).toEqual([]);
  });

  it('invalid YAML names the file and line', () => {
    expect(loadError({ 'compose.yaml': 'services:\n  web:\n    image: [nginx\n' })).toMatch(/compose\.yaml:\d+: not valid YAML/);
    expect(loadError({ 'compose.yaml': 'services:\n  web:\n    image: a\n    image: b\n' })).toMatch(/not valid YAML/);
  });
});

describe('merging -f files', () => {
  it('relative paths of every -f file are relative to the project directory', () => {
    const { project, cwd } = load({ 'compose.yaml': WEB, 'sub/extra.yaml': 'services:\n  web:\n    volumes: ["./x:/x"]\n' }, { files: ['compose.yaml', 'sub/extra.yaml'] });
    expect(project.services.web.volumes[0].source).toBe(path.join(cwd, 'x'));
  });
});

describe('extends', () => {
  it('within the file, in chains, the local keys merged over the base', () => {
    const { project } = load({
      'compose.yaml': [
        'services:',
        '  base:', '    image: debian', '    environment: {A: "1", B: "1"}', '    command: ["sleep", "1"]', '    ports: ["80"]',
        '  middle:', '    extends: base', '    environment: {B: "2"}',
        '  web:', '    extends: {service: middle}', '    command: sleep 2', '    ports: ["81"]',
      ].join('\n'),
    });
    expect(project.services.web).toMatchObject({ image: 'debian', environment: { A: '1', B: '2' }, command: ['sleep', '2'] });
    expect(project.services.web.ports.map(p => p.target)).toEqual([80, 81]);
    expect(project.services.middle.command).toEqual(['sleep', '1']);
  });

  it('from another file, with its paths relative to that file', () => {
    const { project, cwd } = load({
      'compose.yaml': 'services:\n  web:\n    extends: {file: common/base.yaml, service: app}\n    user: "5"\n',
      'common/base.yaml': 'services:\n  app:\n    image: app:1\n    volumes: ["./conf:/conf"]\n',
    });
    expect(project.services.web).toMatchObject({ image: 'app:1', user: '5' });
    expect(project.services.web.volumes[0].source).toBe(path.join(cwd, 'common/conf'));
    expect(project.services.app).toBeUndefined();
  });

  it('a missing base or a loop is an error naming it', () => {
    expect(loadError({ 'compose.yaml': 'services:\n  web:\n    extends: nope\n' })).toMatch(/service "web": extends: no service "nope"/);
    expect(loadError({ 'compose.yaml': 'services:\n  a:\n    extends: b\n    image: x\n  b:\n    extends: a\n' })).toMatch(/extends loops: a -> b -> a/);
  });
});

describe('profiles', () => {
  const files = {
    'compose.yaml': [
      'services:', '  web:', '    image: nginx',
      '  debug:', '    image: busybox', '    profiles: [debug]',
      '  tools:', '    image: busybox', '    profiles: [tools, debug]',
      '  needsdbg:', '    image: x', '    profiles: [ops]', '    depends_on: [debug]',
    ].join('\n'),
  };

  it('services with profiles are off unless enabled', () => {
    const { project } = load(files);
    expect(Object.keys(project.services)).toEqual(['web']);
    expect(project.disabledServices.sort()).toEqual(['debug', 'needsdbg', 'tools']);
  });

  it('--profile, COMPOSE_PROFILES (from the shell or .env) and naming a service enable them', () => {
    expect(Object.keys(load(files, { profiles: ['tools'] }).project.services).sort()).toEqual(['tools', 'web']);
    expect(Object.keys(load(files, { env: { COMPOSE_PROFILES: 'debug' } }).project.services).sort()).toEqual(['debug', 'tools', 'web']);
    expect(Object.keys(load({ ...files, '.env': 'COMPOSE_PROFILES=tools\n' }).project.services).sort()).toEqual(['tools', 'web']);
    expect(Object.keys(load(files, { services: ['debug'] }).project.services).sort()).toEqual(['debug', 'web']);
    expect(Object.keys(load(files, { profiles: ['*'] }).project.services)).toHaveLength(4);
  });

  it('a dependency left out by its profile is an error saying which profile', () => {
    expect(loadError(files, { profiles: ['ops'] })).toMatch(/service "needsdbg": depends_on: "debug" is not enabled \(profiles: debug\).*--profile debug/);
  });
});
