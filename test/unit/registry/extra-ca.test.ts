import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXTRA_CA_ENV, extraCa } from '../../../src/registry/extra-ca.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'racker-unit-extraca-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); vi.restoreAllMocks(); });

describe('extraCa', () => {
  it('none given: node\'s own trust (undefined)', () => {
    expect(extraCa({})).toBeUndefined();
  });
  it('a file given: the well-known CAs and the file\'s', async () => {
    const file = path.join(dir, 'ca.pem');
    await writeFile(file, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const ca = extraCa({ [EXTRA_CA_ENV]: file })!;
    expect(ca.length).toBe(rootCertificates.length + 1);
    expect(ca.at(-1)).toContain('AAAA');
  });
  it('an unreadable file: a warning naming it, and the well-known CAs only', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(extraCa({ [EXTRA_CA_ENV]: path.join(dir, 'missing.pem') })).toBeUndefined();
    expect(String(write.mock.calls[0]?.[0])).toMatch(/missing\.pem \(NODE_EXTRA_CA_CERTS\) cannot be read \(ENOENT\)/);
  });
});
