import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../../src/process.js';

/** A throwaway CA and what it signed, as PEM files in `dir`. */
export interface TestCa {
  /** the CA's certificate */
  caCert: string;
  /** a server certificate for 127.0.0.1 and localhost, and its key */
  serverCert: string;
  serverKey: string;
  /** a client certificate for mutual TLS, and its key */
  clientCert: string;
  clientKey: string;
}

async function openssl(args: string[], purpose: string): Promise<void> {
  await run('openssl', args, { purpose });
}

/** Make a CA (P-256 keys, one day) with openssl, as an admin of a private registry would. */
export async function makeTestCa(dir: string, name = 'racker test CA'): Promise<TestCa> {
  await mkdir(dir, { recursive: true });
  const f = (n: string) => path.join(dir, n);
  const key = (file: string) => openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file], 'make a test key');
  await key(f('ca.key'));
  await openssl(['req', '-x509', '-new', '-key', f('ca.key'), '-subj', `/CN=${name}`, '-days', '1', '-out', f('ca.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], 'make a test CA');
  const leaf = async (base: string, cn: string, ext: string) => {
    await key(f(`${base}.key`));
    await openssl(['req', '-new', '-key', f(`${base}.key`), '-subj', `/CN=${cn}`, '-out', f(`${base}.csr`)], 'make a CSR');
    await writeFile(f(`${base}.ext`), ext);
    await openssl(['x509', '-req', '-in', f(`${base}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1',
      '-extfile', f(`${base}.ext`), '-out', f(`${base}.pem`)], 'sign a test certificate');
  };
  await leaf('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await leaf('client', 'racker test client', 'extendedKeyUsage=clientAuth\n');
  return { caCert: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key') };
}
