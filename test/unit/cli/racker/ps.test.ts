import { describe, expect, it } from 'vitest';
import { statusText } from '../../../../src/cli/racker/ps.js';
import type { ContainerRecord } from '../../../../src/model/container.js';

describe('ps status', () => {
  const base = { id: 'a'.repeat(64), name: 'n', image: 'i', imageName: 'i', layers: [], argv: [], created: '2026-01-01T00:00:00Z', autoRemove: false } as const;
  const now = Date.parse('2026-01-01T00:10:00Z');
  it('reads like docker', () => {
    expect(statusText({ ...base, state: { status: 'running', startedAt: '2026-01-01T00:05:00Z' } } as unknown as ContainerRecord, now)).toBe('Up 5 minutes');
    expect(statusText({ ...base, state: { status: 'exited', exitCode: 3, finishedAt: '2026-01-01T00:08:00Z' } } as unknown as ContainerRecord, now)).toBe('Exited (3) 2 minutes ago');
    expect(statusText({ ...base, state: { status: 'created' } } as unknown as ContainerRecord, now)).toBe('Created');
  });
});
