import { describe, expect, it } from 'vitest';
import { healthTest } from '../../../src/compose/health.js';

describe('which health test a container gets', () => {
  const times = { interval: 30_000, timeout: 30_000, startPeriod: 0, startInterval: 5_000, retries: 3 };

  it('CMD runs the words, CMD-SHELL through /bin/sh -c, times in ms', () => {
    expect(healthTest({ test: ['CMD', 'wget', '-q', 'localhost'], interval: 1, timeout: 0.5, retries: 5, startPeriod: 10 }, undefined, false))
      .toEqual({ argv: ['wget', '-q', 'localhost'], interval: 1000, timeout: 500, startPeriod: 10_000, startInterval: 5_000, retries: 5, systemd: false });
    expect(healthTest({ test: ['CMD-SHELL', 'test -f /ready'] }, undefined, false)).toEqual({ argv: ['/bin/sh', '-c', 'test -f /ready'], ...times, systemd: false });
  });

  it('the image\'s Healthcheck (nanoseconds) when the service has none; NONE turns both off', () => {
    const image = { Test: ['CMD-SHELL', 'curl -f localhost'], Interval: 2e9, Retries: 7 };
    expect(healthTest(undefined, image, false)).toEqual({ argv: ['/bin/sh', '-c', 'curl -f localhost'], ...times, interval: 2000, retries: 7, systemd: false });
    // the service's times over the image's test
    expect(healthTest({ interval: 1 }, image, false)).toMatchObject({ argv: ['/bin/sh', '-c', 'curl -f localhost'], interval: 1000 });
    expect(healthTest({ test: ['NONE'] }, image, false)).toBeUndefined();
    expect(healthTest(undefined, undefined, false)).toBeUndefined();
  });

  it('a booted container without a test: systemd reached running', () => {
    expect(healthTest(undefined, undefined, true)).toMatchObject({ argv: ['systemctl', 'is-system-running'], systemd: true, interval: 1000 });
    // its own test wins
    expect(healthTest({ test: ['CMD', 'true'] }, undefined, true)).toMatchObject({ argv: ['true'], systemd: false });
    expect(healthTest({ test: ['NONE'] }, undefined, true)).toBeUndefined();
  });
});
