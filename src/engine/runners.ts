import { AppRunner } from '../runtime/app-run.js';
import { BootRunner } from '../runtime/boot-run.js';
import type { ContainerRunner } from '../runtime/runner.js';
import type { ContainerRecord, ContainerStore } from '../store/container-store.js';
import type { ImageStore } from '../store/image-store.js';

/** The runner for a container's mode: the one place app and boot mode part ways. */
export function runnerFor(rec: ContainerRecord, images: ImageStore, containers: ContainerStore): ContainerRunner {
  return rec.spec.mode === 'boot' ? new BootRunner(images, containers) : new AppRunner(images.layout, containers);
}
