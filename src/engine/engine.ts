import { withMessageSink } from '../log.js';
import { resolveSettings, type Settings } from '../settings.js';
import { openRoot } from './runners.js';
import { ContainerService } from './containers.js';
import { EngineEvents } from './events.js';
import { ImageService } from './images.js';
import type { ImageResolver } from './resolver.js';
import { NetworkService } from './networks.js';
import { VolumeService } from './volumes.js';
import { containerVolumeUsers } from './volume-users.js';

export interface EngineOptions {
  /** store root (default RACKER_ROOT, else /var/lib/racker) */
  root?: string;
  /** settings as the CLI resolved them (flags < environment < defaults); `root` wins over settings.root */
  settings?: Settings;
  /** names that are not image references, e.g. postroj's curated labels */
  resolver?: ImageResolver;
  /** where warnings, status lines and pull progress go; a new emitter when not given */
  events?: EngineEvents;
}

/**
 * racker's engine: images, containers, volumes and networks under one store root. The CLIs and
 * the TypeScript API call it; it never prints. Warnings and status lines that
 * code below it reports while one of its calls runs reach `events`.
 */
export class Engine {
  readonly settings: Settings;
  readonly events: EngineEvents;
  readonly images: ImageService;
  readonly containers: ContainerService;
  /** named and anonymous volumes (`racker volume …`) */
  readonly volumes: VolumeService;
  /** private networks (`racker network …`) */
  readonly networks: NetworkService;

  constructor(opts: EngineOptions = {}) {
    const base = opts.settings ?? resolveSettings({});
    this.settings = opts.root ? { ...base, root: resolveSettings({ root: opts.root }).root } : base;
    this.events = opts.events ?? new EngineEvents();
    const deps = openRoot(this.settings.root);
    this.images = scoped(new ImageService(deps.images, deps.containers, this.settings, this.events, opts.resolver), this.events);
    this.containers = scoped(new ContainerService(deps, this.images, this.settings), this.events);
    this.volumes = scoped(new VolumeService(deps.volumes, containerVolumeUsers(deps.containers)), this.events);
    this.networks = scoped(new NetworkService(deps.networks), this.events);
  }
}

/**
 * Every method call on `service` runs with the engine's message sink, so a
 * warning from deep in the runtime becomes an event of this engine, not a
 * write to the terminal (also for several engines in one process).
 */
function scoped<T extends object>(service: T, events: EngineEvents): T {
  const sink = { warning: (m: string) => events.emit('warning', m), status: (m: string) => events.emit('status', m) };
  return new Proxy(service, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => withMessageSink(sink, () => (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
}
