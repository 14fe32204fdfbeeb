import { kernelChecks } from './kernel.js';
import { storeChecks } from './store.js';
import { systemdChecks } from './systemd.js';
import { toolChecks } from './tools.js';
import { runChecks, type Check, type Verdict } from './verdict.js';

export { overall, type Status, type Verdict } from './verdict.js';

/** Every check `racker doctor` makes, in the order it prints them (docs/doctor.md lists them). */
export function hostChecks(storeRoot: string): Check[] {
  const store = storeChecks(storeRoot);
  return [store[0], ...kernelChecks(), ...toolChecks(), ...systemdChecks(), ...store.slice(1)];
}

/** Run them all concurrently; well under 2 s on a healthy host. */
export function checkHost(storeRoot: string): Promise<Verdict[]> {
  return runChecks(hostChecks(storeRoot));
}
