/**
 * The docker-run flags beyond the basics (issue 16): limits, capabilities,
 * devices, labels, health. The same shape in ContainerSpecInput and in the
 * stored ContainerSpec; `parityFor` checks and normalises it once.
 */
export interface Ulimit { name: string; soft: number | 'infinity'; hard: number | 'infinity' }
export interface Device { hostPath: string; containerPath: string; permissions: string }
/** docker's Healthcheck: Test as in the image config (["CMD", …], ["CMD-SHELL", "…"], ["NONE"]); durations in ns */
export interface Healthcheck { test?: string[]; interval?: number; timeout?: number; retries?: number; startPeriod?: number }

export interface ParityOptions {
  labels?: Record<string, string>;
  /** write the container id to this file (refused if it exists) */
  cidfile?: string;
  /** os/arch[/variant]: only the host's can run */
  platform?: string;
  /** signal sent to PID 1 on stop (default SIGTERM) */
  stopSignal?: string;
  /** `local` (the host's) or an IANA zone name */
  timezone?: string;
  /** a reaper as PID 1 (app mode), the command as PID 2 */
  init?: boolean;
  ulimits?: Ulimit[];
  /** bytes of /dev/shm */
  shmSize?: number;
  sysctls?: Record<string, string>;
  devices?: Device[];
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  /** docker's spelling: "no-new-privileges" (":true"/":false") */
  securityOpt?: string[];
  /** bind the host's CA bundle read-only over the image's */
  hostCaCerts?: boolean;
  /** bytes */
  memory?: number;
  /** bytes of memory + swap; -1 unlimited */
  memorySwap?: number;
  /** bytes: a soft floor (cgroup v1 memory.soft_limit_in_bytes, v2 memory.low, systemd MemoryLow=) */
  memoryReservation?: number;
  /** CPUs × 1e9 */
  nanoCpus?: number;
  cpuShares?: number;
  /** -1 / 0: unlimited */
  pidsLimit?: number;
  healthcheck?: Healthcheck;
}

/** A container's health, as docker's State.Health. */
export interface HealthState {
  status: 'starting' | 'healthy' | 'unhealthy';
  failingStreak: number;
  /** the last 5 results */
  log: { start: string; end: string; exitCode: number; output: string }[];
}
