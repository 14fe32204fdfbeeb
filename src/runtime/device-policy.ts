import { stat } from 'node:fs/promises';
import type { ParityOptions } from '../model/parity.js';

/**
 * Which device nodes a container may make (m), read (r) and write (w): docker's
 * default list, the --device ones, everything with --privileged. Where PID 1 is
 * systemd, nspawn's scope already has such a list (DevicePolicy=closed); elsewhere
 * racker puts it on the container's cgroup (runtime/cgroups.ts; docs/run.md, "Devices").
 */
export interface DeviceRule {
  type: 'c' | 'b';
  major: number;
  /** '*': every minor of the major */
  minor: number | '*';
  /** a combination of r, w, m */
  access: string;
}

/**
 * docker's defaults (the runtime's list): null, zero, full, random, urandom, tty,
 * ptmx and the pseudo-terminals. Not /dev/console (5:1: the host's console; the
 * container's console is a pseudo-terminal) and not /dev/net/tun unless asked.
 */
export const DEFAULT_DEVICES: readonly DeviceRule[] = [
  { type: 'c', major: 1, minor: 3, access: 'rwm' }, // null
  { type: 'c', major: 1, minor: 5, access: 'rwm' }, // zero
  { type: 'c', major: 1, minor: 7, access: 'rwm' }, // full
  { type: 'c', major: 1, minor: 8, access: 'rwm' }, // random
  { type: 'c', major: 1, minor: 9, access: 'rwm' }, // urandom
  { type: 'c', major: 5, minor: 0, access: 'rwm' }, // tty
  { type: 'c', major: 5, minor: 2, access: 'rwm' }, // ptmx
  { type: 'c', major: 136, minor: '*', access: 'rwm' }, // pts
];

/** A --device's node on the host as a rule: its type and number from stat, the access asked for. */
export function deviceRule(st: { isCharacterDevice(): boolean; rdev: number }, permissions: string): DeviceRule {
  // Linux's dev_t: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31
  const rdev = BigInt(st.rdev);
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { type: st.isCharacterDevice() ? 'c' : 'b', major, minor, access: [...new Set(permissions)].filter(c => 'rwm'.includes(c)).join('') };
}

/** The container's allow list; undefined: no policy (--privileged). */
export async function devicePolicy(p: ParityOptions): Promise<DeviceRule[] | undefined> {
  if (p.privileged) return undefined;
  const rules = [...DEFAULT_DEVICES];
  // a node that is gone by now is refused where it is bound (parityBinds), with the user's words
  for (const d of p.devices ?? []) {
    const st = await stat(d.hostPath).catch(() => undefined);
    if (st && (st.isCharacterDevice() || st.isBlockDevice())) rules.push(deviceRule(st, d.permissions));
  }
  return rules;
}

/** v1 devices.allow lines, one rule per write: "c 1:3 rwm" */
export function v1Lines(rules: readonly DeviceRule[]): string[] {
  return rules.map(r => `${r.type} ${r.major}:${r.minor} ${r.access}`);
}

/** racker-devices' rule arguments (src/native/racker-devices.c): "c:136:*:rwm" */
export function programRules(rules: readonly DeviceRule[]): string[] {
  return rules.map(r => `${r.type}:${r.major}:${r.minor}:${r.access}`);
}
