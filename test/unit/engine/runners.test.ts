import { describe, expect, it } from 'vitest';
import { openRoot, runnerFor } from '../../../src/engine/runners.js';
import { AppRunner } from '../../../src/runtime/app-run.js';
import { BootRunner } from '../../../src/runtime/boot-run.js';
import type { ContainerRecord } from '../../../src/model/container.js';

describe('runnerFor', () => {
  it("picks the runner by the stored spec's mode", () => {
    const deps = openRoot('/var/lib/racker-test');
    const rec = (mode: 'app' | 'boot') => ({ spec: { mode } }) as ContainerRecord;
    expect(runnerFor(rec('app'), deps)).toBeInstanceOf(AppRunner);
    expect(runnerFor(rec('boot'), deps)).toBeInstanceOf(BootRunner);
  });
});
