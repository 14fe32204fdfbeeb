import { describe, expect, it } from 'vitest';
import { POLL_MAX_MS, POLL_MIN_MS, pollDelay, pollUntil, waitGone } from '../../src/poll.js';

describe('pollDelay: short at first, backing off to a ceiling', () => {
  it('starts at the minimum', () => {
    expect(pollDelay(0)).toBe(POLL_MIN_MS);
    expect(pollDelay(40)).toBe(POLL_MIN_MS);
  });

  it('is a tenth of the time waited in between', () => {
    expect(pollDelay(80)).toBe(8);
    expect(pollDelay(500)).toBe(50);
  });

  it('never exceeds the ceiling, however long the wait', () => {
    expect(pollDelay(10_000)).toBe(POLL_MAX_MS);
    expect(pollDelay(Number.MAX_SAFE_INTEGER)).toBe(POLL_MAX_MS);
  });

  it('never shrinks as the wait goes on', () => {
    let last = 0;
    for (let t = 0; t < 2000; t += 7) {
      expect(pollDelay(t)).toBeGreaterThanOrEqual(last);
      last = pollDelay(t);
    }
  });
});

describe('pollUntil', () => {
  it('returns the first value the probe gives', async () => {
    let n = 0;
    expect(await pollUntil(async () => (++n === 3 ? 'up' : undefined))).toBe('up');
    expect(n).toBe(3);
  });

  it('gives undefined after the timeout, having probed at the deadline too', async () => {
    let n = 0;
    expect(await pollUntil(async () => { n++; return undefined; }, { timeoutMs: 30 })).toBeUndefined();
    expect(n).toBeGreaterThanOrEqual(2);
  });

  it('a timeout of 0 probes once', async () => {
    let n = 0;
    expect(await pollUntil(async () => { n++; return undefined; }, { timeoutMs: 0 })).toBeUndefined();
    expect(n).toBe(1);
  });

  it('an abort ends the sleep between probes at once', async () => {
    const ctl = new AbortController();
    let n = 0;
    const done = pollUntil(async () => { if (++n === 5) ctl.abort(); return undefined; }, { signal: ctl.signal });
    expect(await done).toBeUndefined();
    expect(n).toBe(5);
  });

  it('a probe that throws ends the wait with its error', async () => {
    await expect(pollUntil(async () => { throw new Error('broken'); })).rejects.toThrow('broken');
  });
});

describe('waitGone', () => {
  it('true once alive turns false, false when it stays alive', async () => {
    let n = 0;
    expect(await waitGone(async () => ++n < 3, 5000)).toBe(true);
    expect(await waitGone(async () => true, 20)).toBe(false);
  });
});
