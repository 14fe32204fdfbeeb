import { readFile, readdir, rmdir, mkdir, writeFile, access } from 'node:fs/promises';
import path from 'node:path';
import { pollUntil } from '../poll.js';
import { RackerError, isErrno } from '../errors.js';
import type { ParityOptions } from '../model/parity.js';
import { debug, warn } from '../log.js';
import { readProcFile } from '../process.js';
import { devicePolicy, programRules, v1Lines, type DeviceRule } from './device-policy.js';
import { nativeTool } from '../native-tool.js';

/**
 * Resource limits where PID 1 is not systemd (no --property= to hand them to):
 * racker makes a cgroup for the container itself, starts systemd-nspawn in it,
 * and removes it when the container has ended (docs/run.md, "Resources").
 *
 * cgroup v1 (also the v1 half of a hybrid host): one directory per controller,
 * under the cgroup racker runs in, so limits above racker still apply.
 * cgroup v2 without systemd: /sys/fs/cgroup/racker/ID (a cgroup that holds
 * processes cannot hand controllers to its children).
 *
 * Every container gets one there for its device policy (runtime/device-policy.ts):
 * docker's default list unless --device or --privileged; the v1 `devices`
 * controller, or on cgroup v2 a device program (src/native/racker-devices.c).
 *
 * A booted container gets a cgroup of its own there even without limits:
 * nspawn puts its payload in `<its own cgroup>/payload`, so two booted
 * containers started from the same cgroup would share one tree, and each
 * systemd would manage (and kill) the other's units of the same name; a
 * transient unit started in one while the other trims the tree fails with 219.
 */
export interface ContainerCgroups {
  /** directories made, children before nothing: removed in this order */
  dirs: string[];
  /** cgroup.procs files the wrapper writes nspawn's pid into */
  procs: string[];
  /** where the OOM killer's count is read: v2 memory.events, v1 memory.oom_control */
  oomFile?: string;
  /** cgroup v2: the device program racker-devices attaches to this cgroup2 directory before entering */
  deviceProgram?: { cgroup: string; rules: string[] };
}

const CGROUP_ROOT = '/sys/fs/cgroup';

export function wantsCgroup(p: ParityOptions): boolean {
  return !!(p.memory || p.memoryReservation || p.nanoCpus || p.cpuShares || p.pidsLimit);
}

/**
 * systemd-nspawn's own processes in the container's cgroup: it stays there beside
 * the payload, so --pids-limit N (docker: the container's processes) is N + 1 for
 * the kernel. While starting, nspawn has two children of its own (3 tasks), hence
 * the smallest --pids-limit racker takes is 2 (engine/parity.ts).
 */
export const NSPAWN_TASKS = 1;

let warnedNoDevices = false;
function warnNoDevicePolicy(why: string): void {
  if (warnedNoDevices) return;
  warnedNoDevices = true;
  warn(`host devices are not restricted in this container: ${why} (docs/run.md, "Devices")`);
}

/**
 * v1 hierarchy → its mount point, from /proc/self/mountinfo: the controllers
 * racker limits, `name=systemd`, and '' for the cgroup2 half of a hybrid host.
 */
async function v1Mounts(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const line of (await readProcFile('/proc/self/mountinfo')).split('\n')) {
    const [pre, post] = line.split(' - ');
    const mountPoint = pre.split(' ')[4];
    if (post?.startsWith('cgroup2 ')) out.set('', mountPoint);
    if (!post?.startsWith('cgroup ')) continue;
    for (const opt of post.split(' ')[2]?.split(',') ?? []) if (['memory', 'cpu', 'pids', 'devices', 'name=systemd'].includes(opt)) out.set(opt, mountPoint);
  }
  return out;
}

/** racker's own cgroup per controller ('' is v2), from /proc/self/cgroup */
async function ownCgroups(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const line of (await readProcFile('/proc/self/cgroup')).trim().split('\n')) {
    const [, ctrls, p] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (ctrls === undefined) continue;
    for (const c of ctrls.split(',')) out.set(c, p);
  }
  return out;
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(() => true, () => false);
}

async function put(dir: string, file: string, value: string | number): Promise<void> {
  debug(`cgroup: ${value} > ${path.join(dir, file)}`);
  await writeFile(path.join(dir, file), String(value));
}

async function makeDir(dir: string, made: string[]): Promise<void> {
  await mkdir(dir).catch(err => { if (!isErrno(err, 'EEXIST')) throw err; });
  made.push(dir);
}

const PERIOD_US = 100_000;

/**
 * Make and fill the container's cgroups; undefined when nothing is limited, no
 * device policy applies (--privileged) and the container does not need a tree of
 * its own (`own`: a booted container).
 */
export async function makeCgroups(id: string, p: ParityOptions, opts: { own?: boolean } = {}): Promise<ContainerCgroups | undefined> {
  const devices = await devicePolicy(p);
  if (!wantsCgroup(p) && !opts.own && !devices) return undefined;
  const name = `racker-${id.slice(0, 12)}`;
  const made: string[] = [];
  try {
    const cg = await exists(path.join(CGROUP_ROOT, 'cgroup.controllers'))
      ? await makeV2(name, p, made, !!opts.own, devices)
      : await makeV1(name, p, made, !!opts.own, devices);
    return cg.procs.length ? cg : undefined;
  } catch (err) {
    await removeCgroups(made);
    if (!wantsCgroup(p) && opts.own) {
      // no limit depends on it: boot as nspawn would on its own, in the shared tree
      warn(`the container's systemd shares nspawn's default cgroup tree with other booted containers: ${(err as Error).message}`);
      return undefined;
    }
    if (err instanceof RackerError) throw err;
    if (!wantsCgroup(p)) throw new RackerError(`cannot set up the container's device policy: ${(err as Error).message}`, { hint: 'racker needs to write under /sys/fs/cgroup (run as root)' });
    throw new RackerError(`cannot set up the container's resource limits: ${(err as Error).message}`, { hint: 'racker needs to write under /sys/fs/cgroup (run as root; docs/run.md lists the supported cgroup setups)' });
  }
}

async function makeV1(name: string, p: ParityOptions, made: string[], ownTree: boolean, devices: DeviceRule[] | undefined): Promise<ContainerCgroups> {
  const mounts = await v1Mounts();
  const own = await ownCgroups();
  const dirIn = async (mount: string, ctrl: string) => {
    const dir = path.join(mount, own.get(ctrl) ?? '/', name);
    await makeDir(dir, made);
    return dir;
  };
  const dirOf = async (ctrl: string) => {
    const mount = mounts.get(ctrl);
    if (!mount) throw new RackerError(`the ${ctrl} cgroup controller is not mounted`, { hint: `mount it (mount -t cgroup -o ${ctrl} cgroup /sys/fs/cgroup/${ctrl}) or leave out the limit that needs it` });
    return dirIn(mount, ctrl);
  };
  const procs: string[] = [];
  let oomFile: string | undefined;
  if (ownTree) {
    // the trees nspawn and the container's systemd work in: name=systemd, and the cgroup2 half of a hybrid host
    for (const ctrl of ['name=systemd', '']) {
      const mount = mounts.get(ctrl);
      if (mount) procs.push(path.join(await dirIn(mount, ctrl), 'cgroup.procs'));
    }
  }
  if (p.memory || p.memoryReservation) {
    const dir = await dirOf('memory');
    if (p.memoryReservation) await put(dir, 'memory.soft_limit_in_bytes', p.memoryReservation);
    if (p.memory) {
      await put(dir, 'memory.limit_in_bytes', p.memory);
      if (p.memorySwap !== undefined) {
        if (await exists(path.join(dir, 'memory.memsw.limit_in_bytes'))) await put(dir, 'memory.memsw.limit_in_bytes', p.memorySwap);
        else warn('--memory-swap is not enforced: this kernel does not account swap (swapaccount=1)');
      }
      oomFile = path.join(dir, 'memory.oom_control');
    }
    procs.push(path.join(dir, 'cgroup.procs'));
  }
  if (p.nanoCpus || p.cpuShares) {
    const dir = await dirOf('cpu');
    if (p.nanoCpus) {
      await put(dir, 'cpu.cfs_period_us', PERIOD_US);
      await put(dir, 'cpu.cfs_quota_us', Math.max(1000, Math.round(p.nanoCpus / 1e9 * PERIOD_US)));
    }
    if (p.cpuShares) await put(dir, 'cpu.shares', p.cpuShares);
    procs.push(path.join(dir, 'cgroup.procs'));
  }
  if (p.pidsLimit) {
    const dir = await dirOf('pids');
    await put(dir, 'pids.max', p.pidsLimit + NSPAWN_TASKS);
    procs.push(path.join(dir, 'cgroup.procs'));
  }
  if (devices) {
    const mount = mounts.get('devices');
    const dir = mount && await dirIn(mount, 'devices').catch(err => {
      // racker itself in a container that mounts the hierarchy read-only: that container's own policy holds
      if (!['EROFS', 'EACCES', 'EPERM'].some(code => isErrno(err, code))) throw err;
      return undefined;
    });
    if (dir) procs.push(path.join(await v1DeviceCgroup(dir, devices, made), 'cgroup.procs'));
    else warnNoDevicePolicy(mount ? `the devices hierarchy cannot be written (${mount})` : 'the devices cgroup controller is not mounted');
  }
  return { dirs: [...made].reverse(), procs, oomFile };
}

/**
 * Deny all, then allow the list; nspawn goes into a child made afterwards (it
 * starts with its parent's list), so the container's cgroup namespace begins
 * below the cgroup holding the list, and even a container that can mount
 * cgroupfs and write devices.allow cannot allow itself more than its parent has.
 */
async function v1DeviceCgroup(dir: string, devices: DeviceRule[], made: string[]): Promise<string> {
  await put(dir, 'devices.deny', 'a');
  for (const line of v1Lines(devices)) {
    // EPERM: racker's own cgroup lacks the device (a policy above racker), so the container cannot have it either
    await put(dir, 'devices.allow', line).catch(err => { if (isErrno(err, 'EPERM')) debug(`cgroup: ${line} not allowed above racker`); else throw err; });
  }
  const inner = path.join(dir, 'container');
  await makeDir(inner, made);
  return inner;
}

async function makeV2(name: string, p: ParityOptions, made: string[], ownTree: boolean, devices: DeviceRule[] | undefined): Promise<ContainerCgroups> {
  const helper = devices && await deviceHelper();
  if (!wantsCgroup(p) && !ownTree && !helper) return { dirs: [], procs: [] };
  const parent = path.join(CGROUP_ROOT, 'racker');
  const ctrls = [(p.memory || p.memoryReservation) && 'memory', (p.nanoCpus || p.cpuShares) && 'cpu', p.pidsLimit && 'pids'].filter(Boolean) as string[];
  const enable = ctrls.map(c => `+${c}`).join(' ');
  if (enable) await put(CGROUP_ROOT, 'cgroup.subtree_control', enable);
  await mkdir(parent).catch(err => { if (!isErrno(err, 'EEXIST')) throw err; });
  if (enable) await put(parent, 'cgroup.subtree_control', enable);
  const dir = path.join(parent, name);
  await makeDir(dir, made);
  if (p.memoryReservation) await put(dir, 'memory.low', p.memoryReservation);
  if (p.memory) {
    await put(dir, 'memory.max', p.memory);
    if (p.memorySwap !== undefined) await put(dir, 'memory.swap.max', p.memorySwap === -1 ? 'max' : p.memorySwap - p.memory);
  }
  if (p.nanoCpus) await put(dir, 'cpu.max', `${Math.max(1000, Math.round(p.nanoCpus / 1e9 * PERIOD_US))} ${PERIOD_US}`);
  // docker's conversion of shares (2..262144) to weight (1..10000)
  if (p.cpuShares) await put(dir, 'cpu.weight', Math.round(1 + ((p.cpuShares - 2) * 9999) / 262142));
  if (p.pidsLimit) await put(dir, 'pids.max', p.pidsLimit + NSPAWN_TASKS);
  return {
    dirs: [dir], procs: [path.join(dir, 'cgroup.procs')], oomFile: p.memory ? path.join(dir, 'memory.events') : undefined,
    deviceProgram: helper && devices ? { cgroup: dir, rules: programRules(devices) } : undefined,
  };
}

/** cgroup v2 has no devices controller: a device program does it, loaded by racker-devices */
async function deviceHelper(): Promise<boolean> {
  if (await exists(nativeTool('racker-devices'))) return true;
  warnNoDevicePolicy(`racker's helper ${nativeTool('racker-devices')} is missing (npm run build makes it)`);
  return false;
}

/** Did the kernel's OOM killer kill something in it? (v2 memory.events, v1 memory.oom_control: "oom_kill N") */
export async function oomKilled(cg: ContainerCgroups): Promise<boolean> {
  if (!cg.oomFile) return false;
  const text = await readFile(cg.oomFile, 'utf8').catch(() => '');
  return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0) > 0;
}

/**
 * Remove the directories with the cgroups nspawn and the container's systemd
 * made below them (empty of processes once the container has ended; a few
 * tries while its last processes exit).
 */
export async function removeCgroups(dirs: string[]): Promise<void> {
  for (const dir of dirs) await removeTree(dir);
}

async function removeTree(dir: string): Promise<void> {
  const children = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const child of children) if (child.isDirectory()) await removeTree(path.join(dir, child.name));
  // busy until the kernel has let go of its last process (a moment after that process's exit)
  let last: unknown;
  const gone = await pollUntil(async () => {
    try {
      await rmdir(dir);
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return true;
      last = err;
      return undefined;
    }
  }, { timeoutMs: 1000 });
  if (!gone) warn(`cgroup ${dir} could not be removed: ${(last as Error).message}`);
}

/**
 * The command that starts `cmd args` inside the cgroups: a fixed script that
 * writes its own pid into each cgroup.procs (paths as arguments, never in the
 * script) and then execs the command, so nspawn and all it starts are in them.
 */
const ENTER_THEN_EXEC = 'for f do [ "$f" = -- ] && break; echo $$ > "$f" || exit 125; shift; done; shift; exec "$@"';

export function inCgroups(cg: ContainerCgroups | undefined, cmd: string, args: string[]): { cmd: string; args: string[] } {
  if (!cg) return { cmd, args };
  // the same, with the device program attached first (src/native/racker-devices.c)
  const dp = cg.deviceProgram;
  if (dp) return { cmd: nativeTool('racker-devices'), args: [dp.cgroup, ...dp.rules, '--', ...cg.procs, '--', cmd, ...args] };
  return { cmd: '/bin/sh', args: ['-c', ENTER_THEN_EXEC, 'racker-cgroup', ...cg.procs, '--', cmd, ...args] };
}
