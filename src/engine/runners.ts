import type { NetworkManager } from '../network/manager.js';
import { connectNetwork, networkManager } from './container-network.js';
import { AppRunner } from '../runtime/app-run.js';
import { BootRunner } from '../runtime/boot-run.js';
import type { ContainerRunner, RunnerDeps } from '../runtime/runner.js';
import { ContainerStore } from '../store/container-store.js';
import type { ContainerRecord } from '../model/container.js';
import { ImageStore } from '../store/image-store.js';
import { containerVolumeUsers } from './volume-users.js';
import { VolumeStore } from '../store/volume-store.js';

/** What a runner gets, and the root's network manager (network verbs, release, reap). */
export interface RootDeps extends RunnerDeps {
  networks: NetworkManager;
}

/** The stores, volumes and networks of one root, as the engine and the supervisor both open them. */
export function openRoot(root: string): RootDeps {
  const images = new ImageStore(root);
  const containers = new ContainerStore(images.layout);
  const networks = networkManager(root, containers);
  return {
    images, containers, networks,
    volumes: new VolumeStore(images.layout, containerVolumeUsers(containers)),
    connectNetwork: (rec, image, hostname) => connectNetwork(networks, containers, rec, image, hostname),
  };
}

/** The runner for a container's mode: the one place app and boot mode part ways. */
export function runnerFor(rec: ContainerRecord, deps: RunnerDeps): ContainerRunner {
  return rec.spec.mode === 'boot' ? new BootRunner(deps) : new AppRunner(deps);
}
