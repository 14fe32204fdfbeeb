import type { ContainerStore } from '../store/container-store.js';
import type { ContainerRecord } from '../model/container.js';
import type { PublishedPort } from '../model/network.js';
import type { ImageStore } from '../store/image-store.js';
import type { ImageRecord } from '../model/image.js';
import type { VolumeStore } from '../store/volume-store.js';
import type { SignalForwarder } from './signal-forwarder.js';

/** A container's network, as a runner uses it (made by engine/container-network.ts). */
export interface ConnectedNetwork {
  /** what systemd-nspawn needs to join it */
  nspawnArgs: string[];
  /** a network namespace that is not the host's (a private network, none, or another container's) */
  ownNamespace: boolean;
  /** that namespace's file (nspawn-netns.ts starts nspawn in it, so the container's /sys is that namespace's) */
  netns?: string;
  /** the host ports it got (-p with no host port, -P: picked now) */
  ports: PublishedPort[];
  /** its /etc/hosts (peers as they are now) and /etc/resolv.conf, written to racker's own copies in the container's directory (etc-files.ts) */
  writeFiles(dir: string): Promise<void>;
  /** undo everything connect() did; a second call gets the first one's promise */
  release(): Promise<void>;
}

/** What a runner works with: the store and volumes of one root, and a way to give a container its network. */
export interface RunnerDeps {
  images: ImageStore;
  containers: ContainerStore;
  volumes: VolumeStore;
  /**
   * Before nspawn starts, the network the container's spec asks for. It
   * needs no root filesystem, so a runner may start it while the root is
   * mounted; writeFiles() then writes its /etc/hosts and /etc/resolv.conf.
   */
  connectNetwork(rec: ContainerRecord, image: ImageRecord, hostname: string): Promise<ConnectedNetwork>;
}

/** Where a running container's stdio goes. */
export interface RunIO {
  /** pass racker's stdin to the command (`-i`) */
  stdin: boolean;
  /** racker's own stdout/stderr, the container's log file (detached), or a file descriptor (probes) */
  output: 'inherit' | 'log' | { fd: number };
  /**
   * racker's own Ctrl-C / SIGTERM, held since before the container was made
   * (an attached run); without it the runner holds them from its start
   */
  signals?: SignalForwarder;
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
