import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CERTS_DIRS_ENV, certsBaseDirs, tlsForHost } from '../../../src/registry/certs-d.js';

let base: string;
beforeAll(async () => { base = await mkdtemp(path.join(tmpdir(), 'certs-d-unit-')); });
afterAll(async () => { await rm(base, { recursive: true, force: true }); });

const env = (dirs: string): NodeJS.ProcessEnv => ({ [CERTS_DIRS_ENV]: dirs });

describe('certsBaseDirs', () => {
  it('is containers\' then docker\'s folder, or what the variable says', () => {
    expect(certsBaseDirs({})).toEqual(expect.arrayContaining(['/etc/containers/certs.d', '/etc/docker/certs.d']));
    expect(certsBaseDirs(env('/a:/b'))).toEqual(['/a', '/b']);
  });
});

describe('tlsForHost', () => {
  it('takes every *.crt beside the well-known CAs, and a cert/key pair', async () => {
    const dir = path.join(base, 'one', 'reg.example:5000');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'ca.crt'), 'CA-ONE');
    await writeFile(path.join(dir, 'extra.crt'), 'CA-TWO');
    await writeFile(path.join(dir, 'client.cert'), 'CERT');
    await writeFile(path.join(dir, 'client.key'), 'KEY');
    const tls = tlsForHost('reg.example:5000', env(path.join(base, 'one')));
    expect(tls.ca).toEqual(expect.arrayContaining(['CA-ONE', 'CA-TWO']));
    expect(tls.ca!.length).toBeGreaterThan(2);
    expect(tls).toMatchObject({ cert: 'CERT', key: 'KEY', dir });
  });

  it('nothing for the host: node\'s default trust', () => {
    expect(tlsForHost('other.example', env(path.join(base, 'one')))).toEqual({ ca: undefined });
  });

  it('refuses a key without its certificate', async () => {
    const dir = path.join(base, 'two', 'reg.example');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'client.key'), 'KEY');
    expect(() => tlsForHost('reg.example', env(path.join(base, 'two')))).toThrow(/client.key has no matching client.cert/);
  });

  it('a host that is not a host name never walks out of the base folder', () => {
    expect(tlsForHost('../etc', env(path.join(base, 'one')))).toEqual({ ca: undefined });
  });
});
