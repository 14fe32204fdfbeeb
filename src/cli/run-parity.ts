import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { RackerError } from '../errors.js';
import { collect } from './context.js';
import {
  parseAssignment, parseBytes, parseCpus, parseDevice, parseDuration, parseLabelFile, parseSwap, parseUlimit, parseWhole,
  type Healthcheck, type ParityOptions,
} from '../engine/parity.js';

/** The flags of `racker run` beyond the basics (docs/run.md), as commander hands them over. */
export interface ParityFlags {
  label: string[];
  labelFile: string[];
  cidfile?: string;
  platform?: string;
  stopSignal?: string;
  tz?: string;
  init?: boolean;
  ulimit: string[];
  shmSize?: string;
  sysctl: string[];
  device: string[];
  capAdd: string[];
  capDrop: string[];
  privileged?: boolean;
  securityOpt: string[];
  hostCaCerts?: boolean;
  memory?: string;
  memorySwap?: string;
  memoryReservation?: string;
  cpus?: string;
  cpuShares?: string;
  pidsLimit?: string;
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
  healthcheck: boolean;
}

export function addParityOptions(cmd: Command): Command {
  return cmd
    .option('-l, --label <KEY=VALUE>', 'set a label (repeatable)', collect, [])
    .option('--label-file <file>', 'read KEY=VALUE label lines from a file (repeatable)', collect, [])
    .option('--cidfile <file>', 'write the container id to this file (it must not exist)')
    .option('--platform <os/arch>', 'only the host\'s platform can run')
    .option('--stop-signal <signal>', 'signal to stop the container with (default SIGTERM)')
    .option('--tz <zone>', 'time zone: local (the host\'s) or a name such as Europe/Berlin')
    .option('--init', 'run a reaper as PID 1, the command as PID 2')
    .option('--ulimit <name=soft[:hard]>', 'resource limit, e.g. nofile=1024:2048 (repeatable)', collect, [])
    .option('--shm-size <size>', 'size of /dev/shm, e.g. 64m')
    .option('--sysctl <key=value>', 'namespaced kernel parameter: kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.* (repeatable)', collect, [])
    .option('--device <host[:container[:rwm]]>', 'make a host device available (repeatable)', collect, [])
    .option('--cap-add <cap>', 'add a capability, or ALL (repeatable)', collect, [])
    .option('--cap-drop <cap>', 'drop a capability, or ALL (repeatable)', collect, [])
    .option('--privileged', 'all capabilities')
    .option('--security-opt <opt>', 'no-new-privileges (repeatable)', collect, [])
    .option('--host-ca-certs', 'the host\'s CA certificates over the image\'s, read-only')
    .option('-m, --memory <size>', 'memory limit, e.g. 512m')
    .option('--memory-swap <size>', 'memory plus swap limit; -1 for unlimited swap')
    .option('--memory-reservation <size>', 'soft memory floor the kernel keeps for it under pressure, e.g. 256m')
    .option('--cpus <n>', 'number of CPUs, e.g. 1.5')
    .option('-c, --cpu-shares <n>', 'relative CPU weight (default 1024)')
    .option('--pids-limit <n>', 'most processes at once (-1: unlimited)')
    .option('--health-cmd <command>', 'command run by /bin/sh -c in the container to check its health')
    .option('--health-interval <duration>', 'time between checks (default 30s)')
    .option('--health-timeout <duration>', 'longest a check may run (default 30s)')
    .option('--health-retries <n>', 'failures in a row that make it unhealthy (default 3)')
    .option('--health-start-period <duration>', 'failures in this time after the start do not count (default 0s)')
    .option('--no-healthcheck', 'disable the image\'s health check');
}

/** The typed ParityOptions for the flags given (bad syntax: 125 and one line). */
export async function parityInput(f: ParityFlags): Promise<ParityOptions> {
  const labels: [string, string][] = [];
  for (const file of f.labelFile) {
    const text = await readFile(file, 'utf8').catch((err: Error) => { throw new RackerError(`cannot read --label-file ${file.slice(0, 200)}: ${err.message}`); });
    labels.push(...parseLabelFile(text));
  }
  labels.push(...f.label.map(l => parseAssignment(l, '--label', false)));
  const p: ParityOptions = {
    labels: labels.length ? Object.fromEntries(labels) : undefined,
    cidfile: f.cidfile, platform: f.platform, stopSignal: f.stopSignal, timezone: f.tz, init: f.init || undefined,
    ulimits: f.ulimit.length ? f.ulimit.map(parseUlimit) : undefined,
    shmSize: f.shmSize === undefined ? undefined : parseBytes(f.shmSize, '--shm-size'),
    sysctls: f.sysctl.length ? Object.fromEntries(f.sysctl.map(s => parseAssignment(s, '--sysctl', true))) : undefined,
    devices: f.device.length ? f.device.map(parseDevice) : undefined,
    capAdd: f.capAdd.length ? f.capAdd : undefined, capDrop: f.capDrop.length ? f.capDrop : undefined,
    privileged: f.privileged || undefined, securityOpt: f.securityOpt.length ? f.securityOpt : undefined,
    hostCaCerts: f.hostCaCerts || undefined,
    memory: f.memory === undefined ? undefined : parseBytes(f.memory, '--memory'),
    memorySwap: f.memorySwap === undefined ? undefined : parseSwap(f.memorySwap),
    memoryReservation: f.memoryReservation === undefined ? undefined : parseBytes(f.memoryReservation, '--memory-reservation'),
    nanoCpus: f.cpus === undefined ? undefined : parseCpus(f.cpus),
    cpuShares: f.cpuShares === undefined ? undefined : parseWhole(f.cpuShares, '--cpu-shares', 0),
    pidsLimit: f.pidsLimit === undefined ? undefined : parseWhole(f.pidsLimit, '--pids-limit', -1),
  };
  const health: Healthcheck = {
    test: f.healthCmd !== undefined ? ['CMD-SHELL', f.healthCmd] : undefined,
    interval: f.healthInterval === undefined ? undefined : parseDuration(f.healthInterval, '--health-interval'),
    timeout: f.healthTimeout === undefined ? undefined : parseDuration(f.healthTimeout, '--health-timeout'),
    retries: f.healthRetries === undefined ? undefined : parseWhole(f.healthRetries, '--health-retries', 0),
    startPeriod: f.healthStartPeriod === undefined ? undefined : parseDuration(f.healthStartPeriod, '--health-start-period'),
  };
  if (!f.healthcheck) {
    if (f.healthCmd !== undefined) throw new RackerError('--no-healthcheck conflicts with --health-cmd', { hint: 'give one of them' });
    health.test = ['NONE'];
  }
  if (f.healthCmd === '') throw new RackerError('--health-cmd is empty', { hint: 'give a command, or --no-healthcheck to disable the image\'s' });
  if (Object.values(health).some(v => v !== undefined)) p.healthcheck = health;
  return p;
}
