import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lstat, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { authFileForWriting, removeCredentials, storeCredentials } from '../../../src/registry/auth-file.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(path.join(tmpdir(), 'auth-file-unit-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('authFileForWriting', () => {
  it('--authfile, then REGISTRY_AUTH_FILE, then XDG_RUNTIME_DIR, then ~/.config', () => {
    expect(authFileForWriting('/x', { REGISTRY_AUTH_FILE: '/y' })).toBe('/x');
    expect(authFileForWriting(undefined, { REGISTRY_AUTH_FILE: '/y', XDG_RUNTIME_DIR: '/run/u' })).toBe('/y');
    expect(authFileForWriting(undefined, { XDG_RUNTIME_DIR: '/run/u' })).toBe('/run/u/containers/auth.json');
    expect(authFileForWriting(undefined, { HOME: '/h' })).toBe('/h/.config/containers/auth.json');
  });
});

describe('storeCredentials / removeCredentials', () => {
  it('creates the file 0600, keys by host, and removes by any spelling of the host', async () => {
    const file = path.join(dir, 'a', 'auth.json');
    expect(await storeCredentials(file, 'https://reg.example:5000/', { username: 'u', password: 'p' })).toBe('file');
    expect((await lstat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ auths: { 'reg.example:5000': { auth: Buffer.from('u:p').toString('base64') } } });
    expect(await removeCredentials(file, 'reg.example:5000')).toBe(true);
    expect(await removeCredentials(file, 'reg.example:5000')).toBe(false);
  });

  it('never overwrites a file that does not parse', async () => {
    const file = path.join(dir, 'broken.json');
    await writeFile(file, '{ not json');
    await expect(storeCredentials(file, 'r.example', { username: 'u', password: 'p' })).rejects.toThrow(/not valid JSON; not touching it/);
    expect(await readFile(file, 'utf8')).toBe('{ not json');
  });
});
