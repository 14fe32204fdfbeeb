import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderYaml } from '../../../src/compose/render.js';
import { serviceSpec } from '../../../src/compose/service-spec.js';
import { load, loadError } from './helpers.js';

const FILE = [
  'name: p', 'services:', '  a:', '    image: x',
  '    secrets: [db, {source: key, target: k, uid: "1000", gid: "1000", mode: 0o400}]',
  '    configs: [conf, {source: conf, target: /etc/app.conf}]',
  'secrets:', '  db: {file: ./db.txt}', '  key: {content: s3cret-value}',
  'configs:', '  conf: {environment: CONF}',
].join('\n');

describe('secrets and configs', () => {
  it('short and long syntax; secrets under /run/secrets, configs at /NAME or their target', () => {
    const { project, cwd } = load({ 'compose.yaml': FILE });
    expect(project.secrets).toEqual({ db: { file: path.join(cwd, 'db.txt') }, key: { content: 's3cret-value' } });
    expect(project.configs).toEqual({ conf: { environment: 'CONF' } });
    expect(project.services.a.secrets).toEqual([
      { source: 'db', target: '/run/secrets/db' },
      { source: 'key', target: '/run/secrets/k', uid: 1000, gid: 1000, mode: 0o400 },
    ]);
    expect(project.services.a.configs).toEqual([{ source: 'conf', target: '/conf' }, { source: 'conf', target: '/etc/app.conf' }]);
  });

  it('are bound read-only from files under the folder racker owns, never from the project', () => {
    const { project } = load({ 'compose.yaml': FILE });
    const { input, files } = serviceSpec(project, project.services.a, 1, { filesDir: '/var/lib/racker/compose-files/p/p-a-1' });
    expect(files.map(f => f.hostPath)).toEqual([
      '/var/lib/racker/compose-files/p/p-a-1/secrets/db', '/var/lib/racker/compose-files/p/p-a-1/secrets/key',
      '/var/lib/racker/compose-files/p/p-a-1/configs/conf', '/var/lib/racker/compose-files/p/p-a-1/configs/conf',
    ]);
    expect(input.volumes).toEqual(expect.arrayContaining([
      { source: '/var/lib/racker/compose-files/p/p-a-1/secrets/key', target: '/run/secrets/k', readOnly: true },
      { source: '/var/lib/racker/compose-files/p/p-a-1/configs/conf', target: '/etc/app.conf', readOnly: true },
    ]));
  });

  it('compose config shows the definitions, never a secret\'s content', () => {
    const { project } = load({ 'compose.yaml': FILE });
    const out = renderYaml(project);
    expect(out).not.toContain('s3cret-value');
    expect(out).toMatch(/key:\n\s+content: \(hidden\)/);
    expect(out).toMatch(/conf:\n\s+environment: CONF/);
  });

  it('bad definitions and references: one line naming the file, service and key', () => {
    expect(loadError({ 'compose.yaml': 'name: p\nservices:\n  a:\n    image: x\n    secrets: [nope]\n' })).toMatch(/service "a": secrets: secret "nope" is not defined in the top-level secrets/);
    expect(loadError({ 'compose.yaml': 'name: p\nservices:\n  a: {image: x}\nsecrets:\n  s: {file: ./a, content: b}\n' })).toMatch(/secrets\.s: give exactly one of file, environment, content/);
    expect(loadError({ 'compose.yaml': 'name: p\nservices:\n  a: {image: x}\nsecrets:\n  s: {external: true}\n' })).toMatch(/secrets\.s\.external: not supported/);
    expect(loadError({ 'compose.yaml': 'name: p\nservices:\n  a:\n    image: x\n    secrets: [{source: s, mode: "999"}]\nsecrets:\n  s: {content: x}\n' })).toMatch(/secrets\[0\]\.mode: invalid mode '999'/);
    expect(loadError({ 'compose.yaml': 'name: p\nservices:\n  a:\n    image: x\n    configs: [{source: c, target: ../etc/x}]\nconfigs:\n  c: {content: x}\n' })).toMatch(/configs\[0\]\.target: '\.\.\/etc\/x' is not an absolute path/);
  });
});
