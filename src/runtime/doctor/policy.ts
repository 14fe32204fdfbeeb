import { loadPolicy, policyCandidates } from '../../registry/policy.js';
import { fail, ok, type Check } from './verdict.js';

/** Which signature policy pulls obey: none (everything accepted, as before), or the file's default and scopes. */
export function policyCheck(env: NodeJS.ProcessEnv = process.env): Check {
  const name = 'signature-policy';
  return {
    name,
    async run() {
      let policy;
      try {
        policy = await loadPolicy(undefined, env);
      } catch (err) {
        return fail(name, (err as Error).message, 'fix the file as containers-policy.json(5) describes, or remove it (then every image is accepted)');
      }
      if (!policy) {
        return ok(name, `no policy file (${policyCandidates(undefined, env).join(', ')}): every pulled image is accepted without a signature check`);
      }
      const scopes = Object.entries(policy.transports).reduce((n, [, s]) => n + Object.keys(s).length, 0);
      return ok(name, `${policy.file}: default ${policy.default.map(r => r.type).join(' + ')}${scopes ? `, ${scopes} scope(s) of their own` : ''}`);
    },
  };
}
