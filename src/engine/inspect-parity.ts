import type { ContainerRecord } from '../model/container.js';

/** docker's defaults for a check's timing, ns */
export const HEALTH_DEFAULTS = { interval: 30e9, timeout: 30e9, retries: 3, startPeriod: 0 };

/** The parts of `inspect` for the run flags of engine/parity.ts, named and shaped as docker shows them. */
export function parityJson(rec: ContainerRecord): { Config: Record<string, unknown>; HostConfig: Record<string, unknown>; State: Record<string, unknown> } {
  const s = rec.spec;
  const h = s.healthcheck;
  const health = rec.state.health;
  return {
    Config: {
      Labels: s.labels ?? {},
      ...(s.stopSignal ? { StopSignal: s.stopSignal } : {}),
      ...(h?.test ? {
        Healthcheck: {
          Test: h.test, Interval: h.interval ?? 0, Timeout: h.timeout ?? 0, Retries: h.retries ?? 0, StartPeriod: h.startPeriod ?? 0,
        },
      } : {}),
    },
    HostConfig: {
      Memory: s.memory ?? 0,
      MemorySwap: s.memorySwap ?? 0,
      MemoryReservation: s.memoryReservation ?? 0,
      NanoCpus: s.nanoCpus ?? 0,
      CpuShares: s.cpuShares ?? 0,
      PidsLimit: s.pidsLimit ?? null,
      CapAdd: s.capAdd ?? null,
      CapDrop: s.capDrop ?? null,
      Privileged: !!s.privileged,
      SecurityOpt: s.securityOpt ?? null,
      Devices: (s.devices ?? []).map(d => ({ PathOnHost: d.hostPath, PathInContainer: d.containerPath, CgroupPermissions: d.permissions })),
      Ulimits: (s.ulimits ?? []).map(u => ({ Name: u.name, Soft: u.soft === 'infinity' ? -1 : u.soft, Hard: u.hard === 'infinity' ? -1 : u.hard })),
      ShmSize: s.shmSize ?? 64 * 1024 * 1024,
      Sysctls: s.sysctls ?? {},
      Init: s.init ?? null,
      ContainerIDFile: s.cidfile ?? '',
      ...(s.timezone ? { Timezone: s.timezone } : {}),
      ...(s.hostCaCerts ? { HostCaCerts: true } : {}),
    },
    State: {
      OOMKilled: !!rec.state.oomKilled,
      ...(health ? {
        Health: {
          Status: health.status, FailingStreak: health.failingStreak,
          Log: health.log.map(l => ({ Start: l.start, End: l.end, ExitCode: l.exitCode, Output: l.output })),
        },
      } : {}),
    },
  };
}
