import { existsSync } from 'node:fs';
import { RackerError } from '../errors.js';
import { hostPlatform } from '../image/oci.js';
import { signalNumber } from '../process.js';
import { parseByteSize, parseGoDuration } from '../units.js';

export type { Device, Healthcheck, ParityOptions, Ulimit } from '../model/parity.js';
import type { Device, Healthcheck, ParityOptions, Ulimit } from '../model/parity.js';
import { ALL_CAPS } from '../runtime/capabilities.js';
export { ALL_CAPS, NSPAWN_DEFAULT_CAPS, effectiveCaps } from '../runtime/capabilities.js';

const bad = (message: string, hint: string): never => { throw new RackerError(message, { hint }); };
const show = (s: string) => JSON.stringify(s.slice(0, 80));

// ---- parsing (the CLI's strings) ----

/** docker's sizes: 512, 64k, 512m, 1g (also kb, mb, gb, gib); whole bytes (src/units.ts) */
export function parseBytes(value: string, flag: string): number {
  const n = parseByteSize(value);
  if (n === undefined) bad(`invalid ${flag} ${show(value)}`, 'a size such as 512m or 1g (b, k, m, g)');
  return n!;
}

/** --memory-swap: a size, or -1 for unlimited */
export function parseSwap(value: string): number {
  return value.trim() === '-1' ? -1 : parseBytes(value, '--memory-swap');
}

export function parseCpus(value: string): number {
  const n = Number(value);
  if (!/^\d*\.?\d+$/.test(value.trim()) || !(n > 0)) bad(`invalid --cpus ${show(value)}`, 'a number of CPUs greater than 0, such as 1.5');
  return Math.round(n * 1e9);
}

export function parseWhole(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) bad(`invalid ${flag} ${show(value)}`, `a whole number, at least ${min}`);
  return n;
}

const RLIMITS: Record<string, string> = {
  as: 'AS', core: 'CORE', cpu: 'CPU', data: 'DATA', fsize: 'FSIZE', locks: 'LOCKS', memlock: 'MEMLOCK', msgqueue: 'MSGQUEUE',
  nice: 'NICE', nofile: 'NOFILE', nproc: 'NPROC', rss: 'RSS', rtprio: 'RTPRIO', rttime: 'RTTIME', sigpending: 'SIGPENDING', stack: 'STACK',
};

/** docker's --ulimit NAME=SOFT[:HARD] (-1 for unlimited) */
export function parseUlimit(value: string): Ulimit {
  const m = /^([a-z]+)=(-1|\d+)(?::(-1|\d+))?$/.exec(value.trim());
  if (!m || !RLIMITS[m[1]]) bad(`invalid --ulimit ${show(value)}`, `NAME=SOFT[:HARD] with NAME one of ${Object.keys(RLIMITS).join(', ')}`);
  const num = (s: string) => (s === '-1' ? 'infinity' as const : Number(s));
  return { name: m![1], soft: num(m![2]), hard: num(m![3] ?? m![2]) };
}

/**
 * --pids-limit counts the container's processes, as docker's does; nspawn needs two
 * children of its own while it starts, which a limit of 1 leaves no room for
 * (runtime/cgroups.ts, NSPAWN_TASKS).
 */
export const MIN_PIDS_LIMIT = 2;

/** docker's --device HOST[:CONTAINER[:PERMISSIONS]] */
export function parseDevice(value: string): Device {
  const [hostPath, containerPath, permissions, ...more] = value.split(':');
  const perms = permissions ?? (containerPath !== undefined && /^[rwm]+$/.test(containerPath) ? containerPath : undefined);
  const target = perms === containerPath ? undefined : containerPath;
  if (more.length || !hostPath) bad(`invalid --device ${show(value)}`, 'HOST_PATH[:CONTAINER_PATH[:PERMISSIONS]]');
  return { hostPath, containerPath: target || hostPath, permissions: perms ?? 'rwm' };
}

/** KEY=VALUE (labels, sysctls) */
export function parseAssignment(value: string, flag: string, needValue: boolean): [string, string] {
  const eq = value.indexOf('=');
  if (eq === 0 || (needValue && eq < 0)) bad(`invalid ${flag} ${show(value)}`, 'KEY=VALUE');
  return eq < 0 ? [value, ''] : [value.slice(0, eq), value.slice(eq + 1)];
}

/** Label files: KEY=VALUE lines, # comments and blank lines ignored (docker's --label-file). */
export function parseLabelFile(text: string): [string, string][] {
  return text.split('\n').map(l => l.trim()).filter(l => l && !l.startsWith('#')).map(l => parseAssignment(l, '--label-file line', false));
}

/** docker's durations (Go's): 30s, 1m30s, 1.5h, 500ms → ns (src/units.ts) */
export function parseDuration(value: string, flag: string): number {
  const ns = parseGoDuration(value);
  if (ns === undefined || ns < 0) bad(`invalid ${flag} ${show(value)}`, 'a duration such as 30s, 1m30s or 500ms');
  return ns!;
}

// ---- checks (also for callers that bring typed values: compose, the API) ----

/** CAP_NET_ADMIN, net_admin, NET_ADMIN → NET_ADMIN; ALL stays ALL */
export function normalizeCap(name: string, flag: string): string {
  const n = name.trim().toUpperCase().replace(/^CAP_/, '');
  if (n !== 'ALL' && !ALL_CAPS.includes(n)) bad(`unknown capability ${show(name)} in ${flag}`, 'a name from capabilities(7) such as NET_ADMIN, or ALL');
  return n;
}

/** namespaced sysctls: those of the IPC namespace (each container has its own); net.* only with a network of its own */
const IPC_SYSCTL = /^(kernel\.(shmmax|shmall|shmmni|shm_rmid_forced|msgmax|msgmnb|msgmni|sem)|fs\.mqueue\.[a-z_]+)$/;

export function checkSysctl(key: string, value: string): void {
  if (/^net\./.test(key)) bad(`--sysctl ${key} is refused: the container shares the host's network`, 'net.* sysctls would change the host; they need a network namespace of the container\'s own');
  if (!IPC_SYSCTL.test(key)) bad(`--sysctl ${show(key)} is not namespaced`, 'only kernel.shm*, kernel.msg*, kernel.sem and fs.mqueue.* can be set per container');
  if (!/^[0-9 \t]+$/.test(value) || value.length > 100) bad(`invalid value for --sysctl ${key}: ${show(value)}`, 'numbers (kernel.sem takes four, separated by spaces)');
}

/** docker's label rule is loose; racker keeps keys printable and short so `ps --filter` and inspect stay sane */
function checkLabel(key: string, value: string): void {
  if (!/^[\x21-\x7e]{1,255}$/.test(key) || key.includes('=')) bad(`invalid label key ${show(key)}`, 'printable characters without spaces or =, at most 255');
  if (value.length > 4096 || /[\0-\x08\x0b-\x1f\x7f]/.test(value)) bad(`invalid value for label ${key.slice(0, 80)}`, 'printable text, at most 4096 characters');
}

export function normalizeSignal(value: string, flag: string): string {
  const v = value.trim().toUpperCase();
  if (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 64) return v;
  const name = `SIG${v.replace(/^SIG/, '')}`;
  if (!/^\d+$/.test(v) && (signalNumber(name) !== undefined || /^SIGRTM(IN|AX)([+-]\d+)?$/.test(name))) return name;
  return bad(`invalid ${flag} ${show(value)}`, 'a signal name such as TERM, QUIT or SIGINT, or a number');
}

const ZONE = /^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/;

function checkTimezone(tz: string): void {
  if (tz === 'local') return;
  if (!ZONE.test(tz) || tz.length > 100) bad(`invalid --tz ${show(tz)}`, 'local (the host\'s time zone) or a zone name such as Europe/Berlin');
  if (!existsSync(`/usr/share/zoneinfo/${tz}`)) bad(`unknown time zone ${show(tz)}`, 'a name from /usr/share/zoneinfo such as Europe/Berlin, or local');
}

/** os/arch[/variant] as docker takes it; only the host's platform can run here (no emulation) */
export function checkPlatform(value: string): string {
  const host = hostPlatform();
  const aliases: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64' };
  const [os, arch, variant, ...rest] = value.toLowerCase().split('/');
  const want = aliases[arch ?? ''] ?? arch;
  if (rest.length || !os || (os === 'linux' && arch === undefined)) bad(`invalid --platform ${show(value)}`, `os/arch such as ${host.os}/${host.architecture}`);
  if (os !== host.os || (want !== undefined && want !== host.architecture) || (variant !== undefined && host.architecture !== 'arm64' && host.architecture !== 'arm')) {
    bad(`--platform ${value.slice(0, 80)} cannot run on this host (${host.os}/${host.architecture})`, `racker runs images of the host's own platform only (no emulation): use --platform ${host.os}/${host.architecture} or leave it out`);
  }
  return `${host.os}/${host.architecture}${variant ? `/${variant}` : ''}`;
}

function checkSecurityOpt(opt: string): boolean {
  const m = /^no-new-privileges(?:[:=](true|false))?$/.exec(opt);
  if (!m) bad(`--security-opt ${show(opt)} is not supported`, 'racker supports no-new-privileges (nspawn applies its own seccomp filter; there is no AppArmor/SELinux profile)');
  return m![1] !== 'false';
}

const DEV_PATH = /^\/dev\/[^\0]+$/;

function checkDevice(d: Device): void {
  if (!DEV_PATH.test(d.hostPath) || d.hostPath.split('/').includes('..')) bad(`invalid --device ${show(d.hostPath)}`, 'a device under /dev on the host');
  if (!DEV_PATH.test(d.containerPath) || d.containerPath.split('/').includes('..')) bad(`invalid --device target ${show(d.containerPath)}`, 'a path under /dev in the container');
  if (!/^[rwm]{1,3}$/.test(d.permissions)) bad(`invalid --device permissions ${show(d.permissions)}`, 'a combination of r, w and m');
}

const MIN_MEMORY = 6 * 1024 * 1024;

function checkHealth(h: Healthcheck): void {
  const [kind, ...rest] = h.test ?? ['NONE'];
  if (!['CMD', 'CMD-SHELL', 'NONE'].includes(kind) || (kind !== 'NONE' && (!rest.length || rest.some(a => a.includes('\0'))))) {
    bad('invalid health check command', 'give --health-cmd "COMMAND" (run by /bin/sh -c in the container)');
  }
  for (const [k, v] of [['--health-interval', h.interval], ['--health-timeout', h.timeout], ['--health-start-period', h.startPeriod]] as const) {
    if (v !== undefined && (!Number.isFinite(v) || (v !== 0 && v < 1e6))) bad(`invalid ${k}`, 'a duration of at least 1ms, such as 30s');
  }
  if (h.retries !== undefined && (!Number.isSafeInteger(h.retries) || h.retries < 0)) bad('invalid --health-retries', 'a whole number, 0 or more');
}

/** Everything above checked, and the combinations docker refuses; the normalised fields for the stored spec. */
export function parityFor(p: ParityOptions, mode: 'app' | 'boot' | undefined): ParityOptions {
  const out: ParityOptions = {};
  for (const [k, v] of Object.entries(p.labels ?? {})) checkLabel(k, v);
  if (p.labels && Object.keys(p.labels).length) out.labels = { ...p.labels };
  if (p.cidfile !== undefined) {
    if (p.cidfile === '' || p.cidfile.includes('\0')) bad('invalid --cidfile', 'a path to a file that does not exist yet');
    if (existsSync(p.cidfile)) bad(`container ID file found, make sure the other container isn't running or delete ${p.cidfile.slice(0, 200)}`, 'docker\'s rule: --cidfile must not exist yet');
    out.cidfile = p.cidfile;
  }
  if (p.platform !== undefined) out.platform = checkPlatform(p.platform);
  if (p.stopSignal !== undefined) out.stopSignal = normalizeSignal(p.stopSignal, '--stop-signal');
  if (p.timezone !== undefined) { checkTimezone(p.timezone); out.timezone = p.timezone; }
  if (p.init) {
    if (mode === 'boot') bad('--init cannot be combined with --boot', 'a booted container has systemd as its PID 1 already');
    out.init = true;
  }
  if (p.ulimits?.length) {
    for (const u of p.ulimits) {
      if (!RLIMITS[u.name]) bad(`invalid --ulimit name ${show(u.name)}`, `one of ${Object.keys(RLIMITS).join(', ')}`);
      const n = (x: number | 'infinity') => (x === 'infinity' ? Infinity : x);
      if (n(u.soft) > n(u.hard)) bad(`--ulimit ${u.name}: soft limit ${u.soft} is above the hard limit ${u.hard}`, 'give SOFT:HARD with SOFT ≤ HARD');
    }
    out.ulimits = p.ulimits.map(u => ({ ...u }));
  }
  if (p.shmSize !== undefined) {
    if (!Number.isSafeInteger(p.shmSize) || p.shmSize <= 0) bad('invalid --shm-size', 'a size greater than 0, such as 64m');
    out.shmSize = p.shmSize;
  }
  if (p.sysctls && Object.keys(p.sysctls).length) {
    for (const [k, v] of Object.entries(p.sysctls)) checkSysctl(k, v);
    out.sysctls = { ...p.sysctls };
  }
  if (p.devices?.length) { p.devices.forEach(checkDevice); out.devices = p.devices.map(d => ({ ...d })); }
  if (p.capAdd?.length) out.capAdd = [...new Set(p.capAdd.map(c => normalizeCap(c, '--cap-add')))];
  if (p.capDrop?.length) out.capDrop = [...new Set(p.capDrop.map(c => normalizeCap(c, '--cap-drop')))];
  if (p.privileged) out.privileged = true;
  if (p.securityOpt?.length) {
    out.securityOpt = [...p.securityOpt];
    p.securityOpt.forEach(checkSecurityOpt);
  }
  if (p.hostCaCerts) out.hostCaCerts = true;
  if (p.memory !== undefined) {
    if (!Number.isSafeInteger(p.memory) || p.memory < MIN_MEMORY) bad('--memory is too small', 'the minimum is 6m (docker\'s)');
    out.memory = p.memory;
  }
  if (p.memorySwap !== undefined && p.memorySwap !== 0) {
    if (p.memory === undefined) bad('--memory-swap needs --memory', 'give --memory too (--memory-swap is memory plus swap)');
    if (p.memorySwap !== -1 && (!Number.isSafeInteger(p.memorySwap) || p.memorySwap < p.memory!)) bad('--memory-swap is smaller than --memory', 'it is memory plus swap: at least --memory, or -1 for unlimited swap');
    out.memorySwap = p.memorySwap;
  }
  if (p.memoryReservation !== undefined && p.memoryReservation !== 0) {
    if (!Number.isSafeInteger(p.memoryReservation) || p.memoryReservation < 0) bad('invalid --memory-reservation', 'a size such as 256m');
    if (p.memory !== undefined && p.memory < p.memoryReservation) bad('Minimum memory limit can not be less than memory reservation limit', 'give --memory-reservation at most --memory');
    out.memoryReservation = p.memoryReservation;
  }
  if (p.nanoCpus !== undefined) {
    if (!Number.isSafeInteger(p.nanoCpus) || p.nanoCpus <= 0) bad('invalid --cpus', 'a number of CPUs greater than 0');
    out.nanoCpus = p.nanoCpus;
  }
  if (p.cpuShares !== undefined && p.cpuShares !== 0) {
    if (!Number.isSafeInteger(p.cpuShares) || p.cpuShares < 2 || p.cpuShares > 262144) bad(`invalid --cpu-shares ${p.cpuShares}`, 'a whole number from 2 to 262144 (1024 is the default weight)');
    out.cpuShares = p.cpuShares;
  }
  if (p.pidsLimit !== undefined && p.pidsLimit > 0) {
    if (!Number.isSafeInteger(p.pidsLimit)) bad('invalid --pids-limit', 'a whole number; 0 or -1 for unlimited');
    if (p.pidsLimit < MIN_PIDS_LIMIT) bad(`--pids-limit ${p.pidsLimit} is too small: the minimum is ${MIN_PIDS_LIMIT}`, 'systemd-nspawn cannot start a container under less; 0 or -1 for unlimited');
    out.pidsLimit = p.pidsLimit;
  }
  if (p.healthcheck) { checkHealth(p.healthcheck); out.healthcheck = { ...p.healthcheck, test: p.healthcheck.test && [...p.healthcheck.test] }; }
  return out;
}

export { noNewPrivileges } from '../runtime/capabilities.js';

type ImageConfig = { Labels?: Record<string, string> | null; StopSignal?: string | null; Healthcheck?: Record<string, unknown> | null } | null | undefined;

/**
 * The image's Labels, StopSignal and Healthcheck under the caller's (docker's
 * rule: a flag wins field by field; --no-healthcheck is Test ["NONE"]). Image
 * values that would not pass the checks are left out, not refused.
 */
export function imageParity(p: ParityOptions, cfg: ImageConfig): ParityOptions {
  const out = { ...p };
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(cfg?.Labels ?? {})) {
    try { checkLabel(k, String(v)); labels[k] = String(v); } catch { /* an image's odd label is not ours to refuse */ }
  }
  if (Object.keys(labels).length) out.labels = { ...labels, ...p.labels };
  if (p.stopSignal === undefined && cfg?.StopSignal) {
    try { out.stopSignal = normalizeSignal(cfg.StopSignal, 'StopSignal'); } catch { /* left at the default */ }
  }
  const ih = cfg?.Healthcheck as { Test?: unknown; Interval?: unknown; Timeout?: unknown; Retries?: unknown; StartPeriod?: unknown } | undefined;
  const num = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined);
  const fromImage: Partial<Healthcheck> = ih ? {
    test: Array.isArray(ih.Test) && ih.Test.every(a => typeof a === 'string') ? ih.Test as string[] : undefined,
    interval: num(ih.Interval), timeout: num(ih.Timeout), retries: num(ih.Retries), startPeriod: num(ih.StartPeriod),
  } : {};
  const given = p.healthcheck ?? {};
  const test = given.test ?? fromImage.test;
  if (test && test.length && test[0] !== 'NONE') {
    const pick = <K extends keyof Healthcheck>(k: K) => given[k] ?? fromImage[k];
    out.healthcheck = { test, interval: pick('interval'), timeout: pick('timeout'), retries: pick('retries'), startPeriod: pick('startPeriod') };
    if (test[0] !== 'CMD' && test[0] !== 'CMD-SHELL') out.healthcheck = given.test ? out.healthcheck : undefined;
  } else {
    delete out.healthcheck;
  }
  return out;
}
