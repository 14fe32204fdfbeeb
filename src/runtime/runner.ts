import type { NetworkManager } from '../network/manager.js';
import type { ContainerRecord, ContainerStore } from '../store/container-store.js';
import type { ImageRecord, ImageStore } from '../store/image-store.js';
import type { VolumeStore } from '../volumes/volume-store.js';

/** What a runner works with: the store, volumes and networks of one root. */
export interface RunnerDeps {
  images: ImageStore;
  containers: ContainerStore;
  volumes: VolumeStore;
  networks: NetworkManager;
}

/** Where a running container's stdio goes. */
export interface RunIO {
  /** pass racker's stdin to the command (`-i`) */
  stdin: boolean;
  /** racker's own stdout/stderr, the container's log file (detached), or a file descriptor (probes) */
  output: 'inherit' | 'log' | { fd: number };
}

export interface RunHooks {
  /** called once the container runs (booted: once systemd is up); detached runs report back then */
  onStarted?(rec: ContainerRecord): void;
  /** called once the container has ended, before its exit is recorded (the health monitor stops then) */
  beforeExit?(): Promise<void>;
}

/**
 * Runs one container, created or exited, from its stored spec to its end and
 * returns the exit code docker would report. App mode and boot mode are the
 * two implementations; a third way to run a container is a new one of these.
 */
export interface ContainerRunner {
  run(rec: ContainerRecord, image: ImageRecord, io: RunIO, hooks?: RunHooks): Promise<number>;
}
