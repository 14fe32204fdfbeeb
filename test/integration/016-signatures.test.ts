import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { racker, tempRoot } from '../helpers/cli.js';
import { writeOciLayout } from '../helpers/oci-layout.js';
import { busyboxImage, multiLayerImage } from '../helpers/fixture-images.js';
import { putBlob, putManifest, startRegistry, type TestRegistry } from '../helpers/registry.js';

// Images signed the way users sign them: skopeo copy --sign-by with a
// throwaway GPG key (simple signing, lookaside store on file://), and a
// cosign-format sigstore signature made here with node:crypto (Debian 12's
// skopeo 1.9 cannot make a sigstore key). racker must store nothing the
// policy refuses, and say which rule refused it and why.

let work: string;
let reg: TestRegistry;
let gnupg: string;
let regD: string;
let sigs: string;
let trustedKey: string;
let wrongKey: string;
let trustedFpr: string;
let wrongFpr: string;
let layout: string;
let otherLayout: string;
const cosign = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const cosignOther = generateKeyPairSync('ec', { namedCurve: 'P-256' });
let cosignPub: string;
let cosignOtherPub: string;

const gpg = (args: string[]) => execa('gpg', ['--batch', '--homedir', gnupg, ...args]);

async function newKey(uid: string): Promise<string> {
  await gpg(['--passphrase', '', '--quick-gen-key', uid, 'ed25519', 'sign', '1d']);
  const list = await gpg(['--with-colons', '--list-keys', uid]);
  return /^fpr:+([0-9A-F]+):/m.exec(list.stdout)![1];
}

async function push(from: string, repoTag: string, extra: string[] = []): Promise<void> {
  await execa('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', '--registries.d', regD, ...extra, `oci:${from}:latest`, `docker://${reg.host}/${repoTag}`],
    { env: { GNUPGHOME: gnupg } });
}

async function digestOf(repoTag: string): Promise<string> {
  const raw = (await execa('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/${repoTag}`], { stripFinalNewline: false })).stdout;
  return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

async function policyFile(name: string, doc: unknown): Promise<string> {
  const f = path.join(work, `${name}.policy.json`);
  await writeFile(f, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return f;
}

/** Pull into a fresh store; returns the result and whether the store holds any layer afterwards. */
async function pullWith(policy: string, repoTag: string, host = reg.host, registriesD = regD) {
  const t = await tempRoot('sig');
  try {
    const r = await racker(t.root, ['pull', '--tls-verify=false', '--signature-policy', policy, `${host}/${repoTag}`], { env: { RACKER_REGISTRIES_D: registriesD } });
    const layers = await readdir(path.join(t.root, 'layers')).catch(() => [] as string[]);
    return { ...r, layers: layers.length };
  } finally {
    await t.remove();
  }
}

const signedBy = (keyPath: string, extra: object = {}) => ({ type: 'signedBy', keyType: 'GPGKeys', keyPath, ...extra });
const only = (scope: string, reqs: unknown[]) => ({ default: [{ type: 'reject' }], transports: { docker: { [`${reg.host}/${scope}`]: reqs } } });

/** A cosign signature for `digest` stored as the `sha256-HEX.sig` tag of `repo`. */
async function cosignSign(repo: string, identity: string, digest: string, key = cosign.privateKey): Promise<void> {
  const payload = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': identity }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));
  const signature = sign('sha256', payload, key).toString('base64');
  const payloadDigest = await putBlob(reg, repo, payload);
  const config = Buffer.from('{}');
  const configDigest = await putBlob(reg, repo, config);
  await putManifest(reg, repo, `${digest.replace(':', '-')}.sig`, {
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: payloadDigest, size: payload.length, annotations: { 'dev.cosignproject.cosign/signature': signature } }],
  }, 'application/vnd.oci.image.manifest.v1+json');
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'racker-signatures-'));
  reg = await startRegistry();
  gnupg = path.join(work, 'gnupg');
  await mkdir(gnupg, { mode: 0o700 });
  trustedFpr = await newKey('racker trusted <trusted@example.invalid>');
  wrongFpr = await newKey('racker other <other@example.invalid>');
  trustedKey = path.join(work, 'trusted.asc');
  wrongKey = path.join(work, 'wrong.asc');
  await writeFile(trustedKey, (await gpg(['--armor', '--export', trustedFpr])).stdout);
  await writeFile(wrongKey, (await gpg(['--armor', '--export', wrongFpr])).stdout);
  sigs = path.join(work, 'sigs');
  regD = path.join(work, 'registries.d');
  await mkdir(regD);
  await writeFile(path.join(regD, 'default.yaml'), `default-docker:\n  lookaside: file://${sigs}\n  lookaside-staging: file://${sigs}\n`);
  layout = path.join(work, 'layout');
  otherLayout = path.join(work, 'other-layout');
  await writeOciLayout(layout, busyboxImage());
  await writeOciLayout(otherLayout, multiLayerImage());
  await push(layout, 'signed/busybox:latest', ['--sign-by', trustedFpr]);
  await push(layout, 'wrongkey/busybox:latest', ['--sign-by', wrongFpr]);
  await push(layout, 'unsigned/busybox:latest');
  await push(layout, 'ident/busybox:latest', ['--sign-by', trustedFpr, '--sign-identity', `${reg.host}/somebody/else:latest`]);
  // tampered: the tag now names another manifest, and the old (valid) signature was copied beside it
  await push(layout, 'tampered/busybox:latest', ['--sign-by', trustedFpr]);
  const good = await digestOf('tampered/busybox:latest');
  await push(otherLayout, 'tampered/busybox:latest');
  const bad = await digestOf('tampered/busybox:latest');
  await cp(path.join(sigs, `tampered/busybox@${good.replace(':', '=')}`), path.join(sigs, `tampered/busybox@${bad.replace(':', '=')}`), { recursive: true });
  // sigstore
  cosignPub = path.join(work, 'cosign.pub');
  cosignOtherPub = path.join(work, 'cosign-other.pub');
  await writeFile(cosignPub, cosign.publicKey.export({ type: 'spki', format: 'pem' }));
  await writeFile(cosignOtherPub, cosignOther.publicKey.export({ type: 'spki', format: 'pem' }));
  await push(layout, 'cosigned/busybox:latest');
  const d = await digestOf('cosigned/busybox:latest');
  await cosignSign('cosigned/busybox', `${reg.host}/cosigned/busybox:latest`, d);
  await push(layout, 'cosign-ident/busybox:latest');
  await cosignSign('cosign-ident/busybox', `${reg.host}/not/this:latest`, await digestOf('cosign-ident/busybox:latest'));
});

afterAll(async () => {
  await reg?.stop();
  await rm(work, { recursive: true, force: true });
});

describe('signedBy (GPG, simple signing, lookaside store)', () => {
  it('accepts an image signed by the policy\'s key', async () => {
    const r = await pullWith(await policyFile('gpg-ok', only('signed', [signedBy(trustedKey)])), 'signed/busybox:latest');
    expect(r.stderr).not.toContain('refused');
    expect(r.exitCode).toBe(0);
    expect(r.layers).toBe(1);
  });

  it('refuses an unsigned image, names the rule, and stores nothing', async () => {
    const r = await pullWith(await policyFile('gpg-unsigned', only('unsigned', [signedBy(trustedKey)])), 'unsigned/busybox:latest');
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain(`docker:${reg.host}/unsigned, requirement 1: signedBy`);
    expect(r.stderr).toContain('no signature');
    expect(r.layers).toBe(0);
  });

  it('refuses an image signed by another key', async () => {
    const r = await pullWith(await policyFile('gpg-wrong', only('wrongkey', [signedBy(trustedKey)])), 'wrongkey/busybox:latest');
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain('wrong key');
    expect(r.layers).toBe(0);
  });

  it('refuses a manifest that is not the one signed (tampered tag, signature copied over)', async () => {
    const r = await pullWith(await policyFile('gpg-tampered', only('tampered', [signedBy(trustedKey)])), 'tampered/busybox:latest');
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain('tampered');
    expect(r.layers).toBe(0);
  });

  it('refuses a signature whose identity is another image; exactReference accepts it', async () => {
    const r = await pullWith(await policyFile('gpg-ident', only('ident', [signedBy(trustedKey)])), 'ident/busybox:latest');
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain(`signed identity ${reg.host}/somebody/else:latest does not match`);
    const ok = await pullWith(await policyFile('gpg-ident-ok', only('ident', [signedBy(trustedKey, { signedIdentity: { type: 'exactReference', dockerReference: `${reg.host}/somebody/else:latest` } })])), 'ident/busybox:latest');
    expect(ok.exitCode).toBe(0);
  });
});

describe('sigstoreSigned (cosign signatures in sha256-DIGEST.sig tags)', () => {
  it('accepts an image signed with the policy\'s public key', async () => {
    const r = await pullWith(await policyFile('cosign-ok', only('cosigned', [{ type: 'sigstoreSigned', keyPath: cosignPub }])), 'cosigned/busybox:latest');
    expect(r.stderr).not.toContain('refused');
    expect(r.exitCode).toBe(0);
  });

  it('refuses with another key, without a signature, and with another identity', async () => {
    const wrong = await pullWith(await policyFile('cosign-wrong', only('cosigned', [{ type: 'sigstoreSigned', keyPath: cosignOtherPub }])), 'cosigned/busybox:latest');
    expect(wrong.exitCode).toBe(125);
    expect(wrong.stderr).toContain('wrong key');
    const none = await pullWith(await policyFile('cosign-none', only('unsigned', [{ type: 'sigstoreSigned', keyPath: cosignPub }])), 'unsigned/busybox:latest');
    expect(none.exitCode).toBe(125);
    expect(none.stderr).toContain('no sigstore signature');
    const ident = await pullWith(await policyFile('cosign-ident', only('cosign-ident', [{ type: 'sigstoreSigned', keyPath: cosignPub }])), 'cosign-ident/busybox:latest');
    expect(ident.exitCode).toBe(125);
    expect(ident.stderr).toContain('does not match');
    expect(ident.layers).toBe(0);
  });
});

describe('signatures from the registry\'s signature extension', () => {
  let proxy: Server | undefined;
  afterAll(() => { proxy?.close(); });

  it('without a lookaside store, reads /extensions/v2/REPO/signatures/DIGEST of a registry that offers it', async () => {
    // a registry front that offers the extension (as OpenShift's does) and passes everything else to the real one
    const digest = await digestOf('signed/busybox:latest');
    const sig = await readFile(path.join(sigs, `signed/busybox@${digest.replace(':', '=')}`, 'signature-1'));
    const asked: string[] = [];
    proxy = createServer((req, res) => {
      if (req.url?.startsWith('/extensions/v2/')) {
        asked.push(req.url);
        const body = req.url === `/extensions/v2/signed/busybox/signatures/${digest}`
          ? { signatures: [{ version: 2, type: 'atomic', name: `${digest}@0123456789abcdef0123456789abcdef`, content: sig.toString('base64') }] } : { signatures: [] };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        return;
      }
      if (/^\/v2\/hostile\/busybox\/manifests\/sha256-[0-9a-f]{64}\.sig$/.test(req.url ?? '')) {
        // a hostile signature tag: junk entries and a digest that climbs
        const doc = { schemaVersion: 2, layers: [null, 5, 'x', { annotations: 'no' }, { digest: 'sha256:../../../etc/passwd', annotations: { 'dev.cosignproject.cosign/signature': 'AA==' } }] };
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(JSON.stringify(doc));
        return;
      }
      const [h, p] = reg.host.split(':');
      const up = httpRequest({ host: h, port: Number(p), method: req.method, path: req.url, headers: req.headers }, upRes => {
        const headers = { ...upRes.headers, ...(req.url === '/v2/' ? { 'x-registry-supports-signatures': '1' } : {}) };
        res.writeHead(upRes.statusCode ?? 502, headers);
        upRes.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>(resolve => proxy!.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const noLookaside = path.join(work, 'registries.d-empty');
    await mkdir(noLookaside, { recursive: true });
    const policy = await policyFile('extension', { default: [{ type: 'reject' }], transports: { docker: { [host]: [signedBy(trustedKey, { signedIdentity: { type: 'matchRepository' } })] } } });
    // the signature names reg.host's repository; matchRepository compares with what was pulled, so pin it
    const pinned = await policyFile('extension-pinned', { default: [{ type: 'reject' }], transports: { docker: { [host]: [signedBy(trustedKey, { signedIdentity: { type: 'exactRepository', dockerRepository: `${reg.host}/signed/busybox` } })] } } });
    const ok = await pullWith(pinned, 'signed/busybox:latest', host, noLookaside);
    expect(ok.stderr).not.toContain('refused');
    expect(ok.exitCode).toBe(0);
    expect(asked).toContain(`/extensions/v2/signed/busybox/signatures/${digest}`);
    const mismatch = await pullWith(policy, 'signed/busybox:latest', host, noLookaside);
    expect(mismatch.exitCode).toBe(125);
    expect(mismatch.stderr).toContain('does not match');
    const none = await pullWith(pinned, 'unsigned/busybox:latest', host, noLookaside);
    expect(none.exitCode).toBe(125);
    expect(none.stderr).toContain('no signature');
    expect(none.layers).toBe(0);
    // through the same front: a hostile sigstore tag is one clear refusal, nothing stored
    await push(layout, 'hostile/busybox:latest');
    const hostile = await pullWith(await policyFile('hostile-sig', { default: [{ type: 'sigstoreSigned', keyPath: cosignPub }] }), 'hostile/busybox:latest', host, noLookaside);
    expect(hostile.exitCode).toBe(125);
    expect(hostile.stderr).toMatch(/digest/);
    expect(hostile.stderr).not.toMatch(/TypeError|Cannot read|undefined/);
    expect(hostile.layers).toBe(0);
  });
});

describe('policy scopes and bad policies', () => {
  it('the most specific scope wins; the default applies elsewhere', async () => {
    const policy = await policyFile('scopes', {
      default: [{ type: 'insecureAcceptAnything' }],
      transports: { docker: { [reg.host]: [{ type: 'reject' }], [`${reg.host}/signed`]: [signedBy(trustedKey)] } },
    });
    expect((await pullWith(policy, 'signed/busybox:latest')).exitCode).toBe(0);
    const r = await pullWith(policy, 'unsigned/busybox:latest');
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain(`(docker:${reg.host}, requirement 1: reject)`);
  });

  it('a policy.json that does not parse, or has an unknown requirement, refuses every pull', async () => {
    for (const [name, text] of [['broken', '{ "default": [ {"type": "insecureAcceptAnything"} '], ['unknown', '{"default":[{"type":"acceptIfFriendly"}]}'], ['empty', '{"default":[]}']]) {
      const r = await pullWith(await policyFile(name, text), 'unsigned/busybox:latest');
      expect(r.exitCode).toBe(125);
      expect(r.stderr).toContain('refusing to pull');
      expect(r.layers).toBe(0);
    }
  });

  it('a policy of insecureAcceptAnything accepts an unsigned image', async () => {
    const r = await pullWith(await policyFile('accept', { default: [{ type: 'insecureAcceptAnything' }] }), 'unsigned/busybox:latest');
    expect(r.exitCode).toBe(0);
  });
});
