import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { racker, tempRoot } from '../helpers/cli.js';
import { writeOciLayout } from '../helpers/oci-layout.js';
import { busyboxImage } from '../helpers/fixture-images.js';
import { pushLayout, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { makeTestCa, type TestCa } from '../helpers/test-ca.js';

// Registries behind a private CA, one of them asking for client certificates:
// racker trusts what containers-certs.d(5) folders hold for the host, and nothing else.

let work: string;
let ca: TestCa;
let tlsReg: TestRegistry;
let mtlsReg: TestRegistry;
let t: Awaited<ReturnType<typeof tempRoot>>;

/** A certs.d base folder holding, for `host`, the named files copied from the CA's. */
async function certsBase(name: string, host: string, files: Record<string, string>): Promise<string> {
  const base = path.join(work, name);
  await mkdir(path.join(base, host), { recursive: true });
  for (const [to, from] of Object.entries(files)) await copyFile(from, path.join(base, host, to));
  return base;
}

const pull = (image: string, certsDirs: string) => racker(t.root, ['pull', image], { env: { RACKER_CERTS_DIRS: certsDirs } });

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'racker-certs-d-'));
  t = await tempRoot('certs-d');
  ca = await makeTestCa(path.join(work, 'ca'));
  tlsReg = await startRegistry({ tls: { cert: ca.serverCert, key: ca.serverKey } });
  mtlsReg = await startRegistry({ tls: { cert: ca.serverCert, key: ca.serverKey, clientCa: ca.caCert } });
  const layout = path.join(work, 'layout');
  await writeOciLayout(layout, busyboxImage());
  await pushLayout(tlsReg, layout, 'latest', 'private/busybox:latest');
  const clientDir = path.join(work, 'skopeo-client');
  await mkdir(clientDir);
  await copyFile(ca.clientCert, path.join(clientDir, 'client.cert'));
  await copyFile(ca.clientKey, path.join(clientDir, 'client.key'));
  await pushLayout(mtlsReg, layout, 'latest', 'private/busybox:latest', { certDir: clientDir });
});

afterAll(async () => {
  await tlsReg?.stop();
  await mtlsReg?.stop();
  await t?.remove();
  await rm(work, { recursive: true, force: true });
});

describe('per-registry TLS from certs.d', () => {
  it('refuses a registry behind an unknown CA, and the hint names the certs.d file to create', async () => {
    const empty = path.join(work, 'empty');
    await mkdir(empty, { recursive: true });
    const r = await pull(`${tlsReg.host}/private/busybox:latest`, empty);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain(`cannot verify the TLS certificate of ${tlsReg.host}`);
    expect(r.stderr).toContain(`/etc/containers/certs.d/${tlsReg.host}/ca.crt`);
  });

  it('trusts the ca.crt of the host\'s folder', async () => {
    const base = await certsBase('ca-only', tlsReg.host, { 'ca.crt': ca.caCert });
    const r = await pull(`${tlsReg.host}/private/busybox:latest`, base);
    expect(r.stderr).not.toContain('Error');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toMatch(/^sha256:[a-f0-9]{64}$/);
  });

  it('looks in the next base folder (docker\'s) when the first has nothing for the host, and takes any *.crt', async () => {
    const first = await certsBase('first', '127.0.0.1:1', { 'ca.crt': ca.caCert });
    const second = await certsBase('second', tlsReg.host, { 'my-company-root.crt': ca.caCert });
    const r = await racker(t.root, ['pull', '--force', `${tlsReg.host}/private/busybox:latest`], { env: { RACKER_CERTS_DIRS: `${first}:${second}` } });
    expect(r.exitCode).toBe(0);
  });

  it('a CA for another host does not make this one trusted', async () => {
    const other = await certsBase('other-host', '127.0.0.1:2', { 'ca.crt': ca.caCert });
    const r = await pull(`${tlsReg.host}/private/busybox:latest`, other);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain('cannot verify the TLS certificate');
  });

  it('mutual TLS: without a client certificate the registry refuses, and the hint says where one goes', async () => {
    const base = await certsBase('mtls-no-client', mtlsReg.host, { 'ca.crt': ca.caCert });
    const r = await pull(`${mtlsReg.host}/private/busybox:latest`, base);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain('client certificate');
    expect(r.stderr).toContain(`/etc/containers/certs.d/${mtlsReg.host}/client.cert`);
  });

  it('mutual TLS: client.cert and client.key from the folder are presented', async () => {
    const base = await certsBase('mtls', mtlsReg.host, { 'ca.crt': ca.caCert, 'client.cert': ca.clientCert, 'client.key': ca.clientKey });
    const r = await pull(`${mtlsReg.host}/private/busybox:latest`, base);
    expect(r.stderr).not.toContain('Error');
    expect(r.exitCode).toBe(0);
  });

  it('a key without its certificate is one clear error, not a silent anonymous handshake', async () => {
    const base = await certsBase('key-only', mtlsReg.host, { 'ca.crt': ca.caCert, 'client.key': ca.clientKey });
    const r = await pull(`${mtlsReg.host}/private/busybox:latest`, base);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain('client.key has no matching client.cert');
  });
});
