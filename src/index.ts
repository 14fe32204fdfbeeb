/**
 * racker's TypeScript API: the engine the racker and postroj CLIs use.
 *
 *   import { Engine } from 'racker';
 *   const engine = new Engine({ root: '/var/lib/racker' });
 *   const { exitCode } = await engine.containers.run({ image: 'busybox', command: ['echo', 'hi'], autoRemove: true });
 *
 * docs/api.md has the whole surface and a runnable example.
 */
export { Engine, type EngineOptions } from './engine/engine.js';
export { EngineEvents, type EngineEventMap, type PullProgressEvent } from './engine/events.js';
export type { ImageService, ImageSummary, PullOptions, PullPolicy } from './engine/images.js';
export type { ContainerService, Attach, CreateOptions } from './engine/containers.js';
export type { VolumeService } from './engine/volumes.js';
export type { NetworkService, NetworkCreateOptions } from './engine/networks.js';
export type { ContainerSpecInput } from './engine/spec.js';
export type { ExecOptions } from './engine/exec.js';
export type { LogEntry, LogOptions } from './engine/logs.js';
export type { ImageResolver, ResolvedImage } from './engine/resolver.js';
export type { ContainerRecord, ContainerSpec, ContainerState } from './model/container.js';
export type { ImageRecord, PullResult } from './model/image.js';
export type { VolumeRecord } from './model/volume.js';
export type { NetworkRecord } from './model/network.js';
export type { Settings } from './settings.js';
export type { LoadedImage } from './engine/image-load.js';
export type { ArchiveFormat } from './engine/image-save.js';
export { pruneImages, pruneContainers, pruneNetworks, pruneVolumes, diskUsage, type DiskUsage, type HousekeepingDeps } from './engine/housekeeping.js';
export { parsePruneFilters, type PruneFilter } from './engine/prune-filter.js';
export { RackerError, EXIT } from './errors.js';

// postroj: curated OS images, package probes, self tests
export { CATALOGUE, findCurated, type CuratedImage } from './postroj/catalogue.js';
export { curatedResolver, pullCurated, type CuratedPullOptions, type CuratedSource } from './postroj/curated-pull.js';
export { pkgprobe, type PkgprobeOptions } from './postroj/pkgprobe/run-probe.js';
export type { ProbeReport, ImageReport, CheckResult } from './postroj/pkgprobe/report.js';
export { toJson as probeReportJson, toJunit as probeReportJunit } from './postroj/pkgprobe/report.js';
export { selftest, SELFTEST_PROBES, type SelftestOptions, type SelftestProbeName, type ProbeResult } from './postroj/selftest.js';
