import { describe, expect, it } from 'vitest';
import { runnerFor } from '../../../src/engine/runners.js';
import { AppRunner } from '../../../src/runtime/app-run.js';
import { BootRunner } from '../../../src/runtime/boot-run.js';
import { ContainerStore, type ContainerRecord } from '../../../src/store/container-store.js';
import { ImageStore } from '../../../src/store/image-store.js';

describe('runnerFor', () => {
  it("picks the runner by the stored spec's mode", () => {
    const images = new ImageStore('/var/lib/racker-test');
    const containers = new ContainerStore(images.layout);
    const rec = (mode: 'app' | 'boot') => ({ spec: { mode } }) as ContainerRecord;
    expect(runnerFor(rec('app'), images, containers)).toBeInstanceOf(AppRunner);
    expect(runnerFor(rec('boot'), images, containers)).toBeInstanceOf(BootRunner);
  });
});
