import { describe, expect, it } from 'vitest';
import { parsePolicy, requirementsFor } from '../../../src/registry/policy.js';

const accept = [{ type: 'insecureAcceptAnything' }];
const reject = [{ type: 'reject' }];

describe('parsePolicy', () => {
  it('reads the requirement types and fills the default identity rule', () => {
    const p = parsePolicy(JSON.stringify({ default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k.gpg' }], transports: { docker: { 'a.example': [{ type: 'sigstoreSigned', keyData: 'QUJD' }] } } }), 'p.json');
    expect(p.default[0]).toMatchObject({ type: 'signedBy', keyPath: '/k.gpg', signedIdentity: { type: 'matchRepoDigestOrExact' } });
    expect(p.transports.docker['a.example'][0]).toMatchObject({ type: 'sigstoreSigned', keyData: 'QUJD' });
  });

  it.each([
    ['not JSON', '{'],
    ['no default', '{"transports":{}}'],
    ['an empty default', '{"default":[]}'],
    ['an unknown type', '{"default":[{"type":"acceptIfNice"}]}'],
    ['signedBy without a key', '{"default":[{"type":"signedBy","keyType":"GPGKeys"}]}'],
    ['signedBy with two key sources', '{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"a","keyData":"b"}]}'],
    ['an unknown identity rule', '{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"a","signedIdentity":{"type":"matchSomething"}}]}'],
    ['sigstore with fulcio', '{"default":[{"type":"sigstoreSigned","fulcio":{}}]}'],
  ])('refuses %s', (_what, text) => {
    expect(() => parsePolicy(text, 'p.json')).toThrow(/invalid .*refusing to pull/);
  });
});

describe('requirementsFor', () => {
  const p = parsePolicy(JSON.stringify({
    default: reject,
    transports: { docker: { '': accept, 'r.example': reject, 'r.example/team': accept, 'r.example/team/app': reject, '*.corp.example': accept }, oci: { '': reject } },
  }), 'p.json');

  it('takes the most specific namespace, then the host, then a wildcard, then the transport default', () => {
    expect(requirementsFor(p, 'docker', 'r.example/team/app').scope).toBe('docker:r.example/team/app');
    expect(requirementsFor(p, 'docker', 'r.example/team/other').scope).toBe('docker:r.example/team');
    expect(requirementsFor(p, 'docker', 'r.example/elsewhere').scope).toBe('docker:r.example');
    expect(requirementsFor(p, 'docker', 'reg.corp.example:5000/x').scope).toBe('docker:*.corp.example');
    expect(requirementsFor(p, 'docker', 'other.example/x').scope).toBe('docker:""');
    expect(requirementsFor(p, 'oci', '/srv/layout').scope).toBe('oci:""');
    expect(requirementsFor(p, 'docker-archive', '/a.tar').scope).toBe('default');
  });
});
