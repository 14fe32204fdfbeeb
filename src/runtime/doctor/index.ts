import { kernelChecks } from './kernel.js';
import { policyCheck } from './policy.js';
import { storeChecks } from './store.js';
import { systemdChecks } from './systemd.js';
import { toolChecks, type KeyringUse } from './tools.js';
import { runChecks, type Check, type Verdict } from './verdict.js';

export { overall, type Status, type Verdict } from './verdict.js';

/** Every check `racker doctor` makes, in the order it prints them (docs/doctor.md lists them). */
export function hostChecks(storeRoot: string, keyrings: readonly KeyringUse[] = []): Check[] {
  const store = storeChecks(storeRoot);
  return [store[0], ...kernelChecks(), ...toolChecks(keyrings), ...systemdChecks(), ...store.slice(1), policyCheck()];
}

/** Run them all concurrently; well under 2 s on a healthy host. */
export function checkHost(storeRoot: string, keyrings: readonly KeyringUse[] = []): Promise<Verdict[]> {
  return runChecks(hostChecks(storeRoot, keyrings));
}

export type { KeyringUse } from './tools.js';
