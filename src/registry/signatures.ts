import { verify as verifySignature, createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RackerError } from '../errors.js';
import { runAllowFail } from '../process.js';
import { sanitize } from './http-errors.js';
import { requirementsFor, type Policy, type Requirement, type SignedIdentity } from './policy.js';

/**
 * Checking a pull against the signature policy before anything is stored.
 * Simple signing (signedBy, GPG) is verified by Debian's gpgv against a
 * throwaway keyring holding only the policy's keys; sigstore signatures
 * (cosign's payload and an ECDSA/Ed25519/RSA signature) with node:crypto.
 */

export interface SignedImage {
  /** host[:port]/repository as the user named it */
  name: string;
  tag?: string;
  digest?: string;
  /** digest of the manifest the reference names (what signatures sign) */
  manifestDigest: string;
  /** raw simple-signing signatures (lookaside store) */
  simpleSignatures(): Promise<Buffer[]>;
  /** cosign signatures from the `sha256-HEX.sig` tag: the payload and its base64 signature */
  sigstoreSignatures(): Promise<{ payload: Buffer; signature: string }[]>;
}

export class PolicyRejection extends RackerError {}

interface Payload { critical?: { identity?: { 'docker-reference'?: unknown }; image?: { 'docker-manifest-digest'?: unknown }; type?: unknown } }

/** The repository part of a docker reference: host/repo:tag and host/repo@sha256:… → host/repo. */
function repoOf(ref: string): string {
  const at = ref.indexOf('@');
  if (at >= 0) return ref.slice(0, at);
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? ref.slice(0, colon) : ref;
}

function identityMatches(id: SignedIdentity, img: SignedImage, signed: string): boolean {
  const exact = img.digest ? `${img.name}@${img.digest}` : `${img.name}:${img.tag ?? 'latest'}`;
  switch (id.type) {
    case 'matchExact': return signed === exact;
    case 'matchRepoDigestOrExact': return img.digest ? repoOf(signed) === img.name : signed === exact;
    case 'matchRepository': return repoOf(signed) === img.name;
    case 'exactReference': return signed === id.dockerReference;
    case 'exactRepository': return repoOf(signed) === id.dockerRepository;
  }
}

/** Why a verified payload does not fit the image, or undefined when it does. */
function payloadProblem(bytes: Buffer, wantType: string, id: SignedIdentity, img: SignedImage): string | undefined {
  let p: Payload;
  try { p = JSON.parse(bytes.toString('utf8')) as Payload; } catch { return 'the signed payload is not JSON'; }
  if (p.critical?.type !== wantType) return `the signed payload is not a "${wantType}"`;
  const digest = p.critical.image?.['docker-manifest-digest'];
  if (digest !== img.manifestDigest) return `the signature is for manifest ${sanitize(String(digest), 80)}, not ${img.manifestDigest} (tampered or replaced manifest)`;
  const ref = p.critical.identity?.['docker-reference'];
  if (typeof ref !== 'string' || !identityMatches(id, img, ref)) return `the signed identity ${sanitize(String(ref), 120)} does not match ${img.name} (${id.type})`;
  return undefined;
}

/** ASCII-armored OpenPGP keys to the binary form gpgv's --keyring reads. */
function dearmor(data: Buffer): Buffer {
  const text = data.toString('latin1');
  if (!text.includes('-----BEGIN PGP')) return data;
  const out: Buffer[] = [];
  for (const block of text.matchAll(/-----BEGIN PGP PUBLIC KEY BLOCK-----([\s\S]*?)-----END PGP PUBLIC KEY BLOCK-----/g)) {
    const body = block[1].split(/\r?\n\r?\n/).slice(1).join('\n').split('\n').filter(l => !l.startsWith('=')).join('');
    out.push(Buffer.from(body, 'base64'));
  }
  return Buffer.concat(out);
}

async function keyBytes(r: { keyPath?: string; keyPaths?: string[]; keyData?: string }): Promise<Buffer[]> {
  if (r.keyData !== undefined) return [Buffer.from(r.keyData, 'base64')];
  const files = r.keyPath ? [r.keyPath] : r.keyPaths ?? [];
  return Promise.all(files.map(f => readFile(f).catch(err => { throw new RackerError(`cannot read the policy's key ${f}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`); })));
}

async function checkSignedBy(r: Extract<Requirement, { type: 'signedBy' }>, img: SignedImage): Promise<string | undefined> {
  const sigs = await img.simpleSignatures();
  if (!sigs.length) return 'no signature found (lookaside store or the registry\'s signature extension)';
  const dir = await mkdtemp(path.join(tmpdir(), 'racker-gpgv-'));
  try {
    const keyring = path.join(dir, 'keys.gpg');
    await writeFile(keyring, Buffer.concat((await keyBytes(r)).map(dearmor)), { mode: 0o600 });
    let last = 'no signature is by a trusted key';
    for (const [i, sig] of sigs.entries()) {
      const sigFile = path.join(dir, `sig-${i}`);
      const out = path.join(dir, `payload-${i}`);
      await writeFile(sigFile, sig);
      const v = await runAllowFail('gpgv', ['--homedir', dir, '--keyring', keyring, '--status-fd', '1', '--output', out, sigFile], { purpose: 'verify an image signature' });
      if (v.exitCode !== 0 || !/^\[GNUPG:\] VALIDSIG /m.test(v.stdout)) {
        last = /NO_PUBKEY|ERRSIG/.test(v.stdout) ? 'the signature is by a key the policy does not trust (wrong key)' : 'the signature does not verify';
        continue;
      }
      const problem = payloadProblem(await readFile(out), 'atomic container signature', r.signedIdentity, img);
      if (!problem) return undefined;
      last = problem;
    }
    return last;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function checkSigstore(r: Extract<Requirement, { type: 'sigstoreSigned' }>, img: SignedImage): Promise<string | undefined> {
  const sigs = await img.sigstoreSignatures();
  if (!sigs.length) return `no sigstore signature found (tag ${img.manifestDigest.replace(':', '-')}.sig)`;
  const [keyData] = await keyBytes(r);
  let key;
  try { key = createPublicKey(keyData); } catch { throw new RackerError(`the sigstoreSigned key of the policy is not a PEM public key`); }
  let last = 'no signature is by the policy\'s key (wrong key)';
  for (const s of sigs) {
    let ok = false;
    try { ok = verifySignature(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', s.payload, key, Buffer.from(s.signature, 'base64')); } catch { ok = false; }
    if (!ok) continue;
    const problem = payloadProblem(s.payload, 'cosign container image signature', r.signedIdentity, img);
    if (!problem) return undefined;
    last = problem;
  }
  return last;
}

/** Throws a PolicyRejection naming the rule and the reason, unless every requirement in scope is met. */
export async function enforcePolicy(policy: Policy, transport: string, img: SignedImage): Promise<void> {
  const { scope, reqs } = requirementsFor(policy, transport, img.name);
  for (const [i, r] of reqs.entries()) {
    let why: string | undefined;
    if (r.type === 'insecureAcceptAnything') continue;
    if (r.type === 'reject') why = 'the policy rejects every image here';
    else if (r.type === 'signedBy') why = await checkSignedBy(r, img);
    else why = await checkSigstore(r, img);
    if (why) {
      throw new PolicyRejection(`${img.name} refused by the signature policy ${policy.file} (${scope}, requirement ${i + 1}: ${r.type}): ${why}`, {
        hint: 'nothing was stored; sign the image, or change the policy if this registry is trusted',
      });
    }
  }
}

/** For sources without signatures (oci:, archives): only requirements that need none can pass. */
export function enforceUnsigned(policy: Policy, transport: string, name: string): void {
  const { scope, reqs } = requirementsFor(policy, transport, name);
  const [i, r] = [...reqs.entries()].find(([, x]) => x.type !== 'insecureAcceptAnything') ?? [];
  if (!r || i === undefined) return;
  const why = r.type === 'reject' ? 'the policy rejects every image here' : `${transport}: images carry no signatures racker can check`;
  throw new PolicyRejection(`${transport}:${name} refused by the signature policy ${policy.file} (${scope}, requirement ${i + 1}: ${r.type}): ${why}`);
}
