import path from 'node:path';
import { DEFAULT_NETWORK } from './container-network.js';
import { pruneMatches, type PruneFilter } from './prune-filter.js';
import { treeSize } from '../store/volume-store.js';
import type { ContainerRecord } from '../model/container.js';
import type { ImageRecord } from '../model/image.js';
import type { ContainerService } from './containers.js';
import type { ImageService } from './images.js';
import type { NetworkService } from './networks.js';
import type { VolumeService } from './volumes.js';

/** The parts of an engine that prune and df look at. */
export interface HousekeepingDeps {
  images: ImageService;
  containers: ContainerService;
  volumes: VolumeService;
  networks: NetworkService;
}

const NO_FILTER: PruneFilter = { labels: [] };

/** docker's `image prune` lines (`untagged: NAME`, `deleted: sha256:…`) and the bytes of the layers removed. */
export interface ImagePruneReport { lines: string[]; bytes: number }

function imageCreated(img: ImageRecord): string {
  return img.config.created ?? img.pulledAt;
}

/**
 * Remove images no container uses (stopped ones count): without `all` only
 * those without a name (dangling), with it every one. Layers a container
 * stacks on stay.
 */
export async function pruneImages(d: HousekeepingDeps, opts: { all?: boolean; filter?: PruneFilter } = {}): Promise<ImagePruneReport> {
  const store = d.images.store;
  const filter = opts.filter ?? NO_FILTER;
  const containers = await d.containers.list({ all: true });
  const used = new Set(containers.map(c => c.image));
  const keep = new Set(containers.flatMap(c => c.layers));
  const tags = await store.readTags();
  const lines: string[] = [];
  let bytes = 0;
  for (const img of await store.listImages()) {
    if (used.has(img.id)) continue;
    const names = store.namesOf(tags, img.id);
    if (!opts.all && names.length) continue;
    if (!pruneMatches(filter, imageCreated(img), img.config.config?.Labels)) continue;
    const sizes = new Map<string, number>();
    for (const l of img.layers) sizes.set(l, (await store.readLayer(l))?.size ?? 0);
    if (names.length) await store.untag(names);
    for (const n of names) lines.push(`untagged: ${n}`);
    const removed = await store.removeImage(img.id, keep);
    lines.push(`deleted: ${img.id}`);
    for (const l of removed) {
      lines.push(`deleted: ${l}`);
      bytes += sizes.get(l) ?? 0;
    }
  }
  return { lines, bytes };
}

/** Bytes of a container's writable layer. */
function containerSize(d: HousekeepingDeps, c: ContainerRecord): Promise<number> {
  return treeSize(path.join(d.containers.store.dir(c.id), 'upper'));
}

/** Remove stopped containers the filter lets through; their ids and the bytes of their writable layers. */
export async function pruneContainers(d: HousekeepingDeps, filter: PruneFilter = NO_FILTER): Promise<{ removed: string[]; bytes: number }> {
  const removed: string[] = [];
  let bytes = 0;
  for (const c of await d.containers.list({ all: true })) {
    if (c.state.status === 'running' || !pruneMatches(filter, c.created, c.spec.labels)) continue;
    const size = await containerSize(d, c);
    // one that started meanwhile, or cannot be removed now, stays
    const gone = await d.containers.remove(c.id).then(() => true, () => false);
    if (gone) { removed.push(c.id); bytes += size; }
  }
  return { removed, bytes };
}

/** Remove networks no running container is attached to (never racker's default one); their names. */
export async function pruneNetworks(d: HousekeepingDeps, filter: PruneFilter = NO_FILTER): Promise<string[]> {
  await d.containers.reapNetworks();
  const removed: string[] = [];
  for (const n of await d.networks.list()) {
    if (n.name === DEFAULT_NETWORK || !pruneMatches(filter, n.created, n.labels)) continue;
    // remove refuses a network in use: that one stays
    await d.networks.remove(n.name).then(() => removed.push(n.name), () => undefined);
  }
  return removed;
}

/** Remove unused anonymous volumes (with `all`, every unused volume) the label filters let through. */
export async function pruneVolumes(d: HousekeepingDeps, opts: { all?: boolean; filter?: PruneFilter } = {}): Promise<{ removed: string[]; bytes: number }> {
  const filter = { labels: (opts.filter ?? NO_FILTER).labels };
  return d.volumes.prune({ all: opts.all, matches: v => pruneMatches(filter, v.CreatedAt, v.Labels) });
}

export interface UsageRow { total: number; active: number; size: number; reclaimable: number }

export interface ImageUsage { image: ImageRecord; names: string[]; size: number; sharedSize: number; containers: number }
export interface ContainerUsage { container: ContainerRecord; size: number }
export interface VolumeUsage { name: string; links: number; size: number }

export interface DiskUsage {
  images: UsageRow;
  containers: UsageRow;
  volumes: UsageRow;
  imageRows: ImageUsage[];
  containerRows: ContainerUsage[];
  volumeRows: VolumeUsage[];
}

/**
 * docker's `system df`. Images: layers shared by several images count once;
 * reclaimable is what removing every image no container uses would free.
 * Containers: their writable layers; reclaimable those of stopped ones.
 * Volumes: their data; reclaimable that of volumes no container uses.
 */
export async function diskUsage(d: HousekeepingDeps): Promise<DiskUsage> {
  const store = d.images.store;
  const images = await store.listImages();
  const containers = await d.containers.list({ all: true });
  const tags = await store.readTags();
  const layerSize = new Map<string, number>();
  const layerUsers = new Map<string, number>();
  for (const img of images) {
    for (const l of new Set(img.layers)) {
      if (!layerSize.has(l)) layerSize.set(l, (await store.readLayer(l))?.size ?? 0);
      layerUsers.set(l, (layerUsers.get(l) ?? 0) + 1);
    }
  }
  const usersOf = (id: string) => containers.filter(c => c.image === id).length;
  const activeLayers = new Set(images.filter(i => usersOf(i.id) > 0).flatMap(i => i.layers));
  const sum = (ls: Iterable<string>) => [...ls].reduce((a, l) => a + (layerSize.get(l) ?? 0), 0);
  const imagesSize = sum(layerSize.keys());
  const imageRows = images.map(image => {
    const own = [...new Set(image.layers)];
    const shared = own.filter(l => (layerUsers.get(l) ?? 0) > 1);
    return { image, names: store.namesOf(tags, image.id), size: sum(own), sharedSize: sum(shared), containers: usersOf(image.id) };
  });

  const containerRows: ContainerUsage[] = [];
  for (const c of containers) containerRows.push({ container: c, size: await containerSize(d, c) });
  const running = containerRows.filter(r => r.container.state.status === 'running');

  const volumeRows: VolumeUsage[] = [];
  for (const v of await d.volumes.list()) {
    volumeRows.push({ name: v.Name, links: (await d.volumes.users(v.Name)).length, size: await d.volumes.size(v.Name) });
  }
  const total = (rows: { size: number }[]) => rows.reduce((a, r) => a + r.size, 0);
  return {
    images: { total: images.length, active: imageRows.filter(r => r.containers > 0).length, size: imagesSize, reclaimable: imagesSize - sum(activeLayers) },
    containers: { total: containers.length, active: running.length, size: total(containerRows), reclaimable: total(containerRows) - total(running) },
    volumes: { total: volumeRows.length, active: volumeRows.filter(r => r.links > 0).length, size: total(volumeRows), reclaimable: total(volumeRows.filter(r => r.links === 0)) },
    imageRows, containerRows, volumeRows,
  };
}
