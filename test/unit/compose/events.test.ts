import { describe, expect, it } from 'vitest';
import { diffContainers, eventJson, formatEvent } from '../../../src/compose/events.js';
import type { ContainerRecord } from '../../../src/model/container.js';

const rec = (id: string, state: Partial<ContainerRecord['state']>) => ({
  id, name: `p-web-${id}`, imageName: 'busybox', spec: { labels: { 'com.docker.compose.service': 'web' } }, state,
}) as unknown as ContainerRecord;
const now = new Date(2026, 0, 2, 3, 4, 5, 6);
const actions = (before: ContainerRecord[], after: ContainerRecord[]) =>
  diffContainers(new Map(before.map(c => [c.id, c])), after, now).map(e => `${e.action} ${e.id}`);

describe('compose events', () => {
  it('the difference of two readings: create, start, die, destroy', () => {
    expect(actions([], [rec('a', { status: 'created' })])).toEqual(['create a']);
    expect(actions([rec('a', { status: 'created' })], [rec('a', { status: 'running', startedAt: '1' })])).toEqual(['start a']);
    expect(actions([rec('a', { status: 'running', startedAt: '1' })], [rec('a', { status: 'exited', exitCode: 3, finishedAt: '2' })])).toEqual(['die a']);
    expect(actions([rec('a', { status: 'exited' })], [])).toEqual(['destroy a']);
    expect(actions([rec('a', { status: 'running', startedAt: '1' })], [rec('a', { status: 'running', startedAt: '1' })])).toEqual([]);
  });

  it('a restart or a short run between two readings is still seen', () => {
    expect(actions([rec('a', { status: 'running', startedAt: '1' })], [rec('a', { status: 'running', startedAt: '2' })])).toEqual(['die a', 'start a']);
    expect(actions([rec('a', { status: 'created' })], [rec('a', { status: 'exited', finishedAt: '2' })])).toEqual(['start a', 'die a']);
    expect(actions([], [rec('a', { status: 'running', startedAt: '1' })])).toEqual(['create a', 'start a']);
  });

  it('health changes of a running container', () => {
    const r = (h: string) => rec('a', { status: 'running', startedAt: '1', health: { status: h } as never });
    expect(actions([r('starting')], [r('healthy')])).toEqual(['health_status a']);
  });

  it('prints docker compose\'s line and JSON', () => {
    const [e] = diffContainers(new Map(), [rec('a', { status: 'exited', exitCode: 2 })], now);
    expect(formatEvent(e)).toBe('2026-01-02 03:04:05.006000 container create a (image=busybox, name=p-web-a)');
    expect(JSON.parse(eventJson(e))).toEqual({ time: now.toISOString(), type: 'container', action: 'create', id: 'a', service: 'web', attributes: { image: 'busybox', name: 'p-web-a' } });
  });

  it('text from a container is shown, not printed raw', () => {
    const [e] = diffContainers(new Map(), [{ ...rec('a', { status: 'created' }), imageName: 'x\x1b[31m' } as ContainerRecord], now);
    expect(formatEvent(e)).not.toContain('\x1b');
  });
});
