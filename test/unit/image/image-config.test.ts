import { describe, expect, it } from 'vitest';
import { parseImageConfig } from '../../../src/image/oci-layout-fetcher.js';
import { RackerError } from '../../../src/errors.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const rootfs = { type: 'layers', diff_ids: [DIGEST] };

function config(fields: Record<string, unknown>, top: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: fields, rootfs, ...top }));
}

function failure(fn: () => unknown): RackerError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RackerError);
    return err as RackerError;
  }
  throw new Error('expected a RackerError');
}

describe('parseImageConfig', () => {
  it('accepts a full config, and absent or null fields', () => {
    const full = {
      User: 'nobody', Env: ['A=1'], Entrypoint: ['/bin/sh'], Cmd: ['-c', 'true'], WorkingDir: '/w', Labels: { a: 'b' },
      StopSignal: 'SIGTERM', ExposedPorts: { '80/tcp': {} }, Volumes: { '/data': {} }, Healthcheck: { Test: ['CMD', 'true'] },
    };
    expect(parseImageConfig(config(full), 'test').config).toEqual(full);
    const nulls = Object.fromEntries(Object.keys(full).map(k => [k, null]));
    expect(parseImageConfig(config(nulls), 'test').config).toEqual(nulls);
    expect(parseImageConfig(config({}, { config: null }), 'test').config).toBeNull();
    expect(parseImageConfig(Buffer.from(JSON.stringify({ rootfs })), 'test').rootfs).toEqual(rootfs);
  });

  const wrong: [string, Record<string, unknown>, RegExp][] = [
    ['Env as a string', { Env: 'PATH=/bin' }, /config\.Env is a string, not a list of strings/],
    ['Cmd as an object', { Cmd: { sh: 1 } }, /config\.Cmd is an object, not a list of strings/],
    ['Entrypoint as a string', { Entrypoint: '/bin/sh' }, /config\.Entrypoint is a string, not a list of strings/],
    ['Entrypoint with a number in it', { Entrypoint: ['/bin/sh', 1] }, /config\.Entrypoint is a list with non-strings in it/],
    ['WorkingDir as a list', { WorkingDir: ['/'] }, /config\.WorkingDir is a list, not a string/],
    ['User as a number', { User: 0 }, /config\.User is a number, not a string/],
    ['Labels with a number', { Labels: { a: 1 } }, /config\.Labels is an object, not an object of strings/],
    ['Labels as a list', { Labels: ['a'] }, /config\.Labels is a list, not an object of strings/],
    ['ExposedPorts as a list', { ExposedPorts: ['80/tcp'] }, /config\.ExposedPorts is a list, not an object/],
    ['Volumes as a string', { Volumes: '/data' }, /config\.Volumes is a string, not an object/],
    ['StopSignal as a number', { StopSignal: 15 }, /config\.StopSignal is a number, not a string/],
    ['Healthcheck as a string', { Healthcheck: 'true' }, /config\.Healthcheck is a string, not an object/],
  ];
  for (const [what, fields, message] of wrong) {
    it(`refuses ${what}, naming the field`, () => {
      const err = failure(() => parseImageConfig(config(fields), 'docker://x/y'));
      expect(err.message).toMatch(/^the image config from docker:\/\/x\/y is malformed: /);
      expect(err.message).toMatch(message);
      expect(err.exitCode).toBe(125);
    });
  }

  it('refuses a config, rootfs or diff_ids of the wrong type', () => {
    expect(failure(() => parseImageConfig(config({}, { config: 'x' }), 't')).message).toMatch(/config is a string, not an object/);
    expect(failure(() => parseImageConfig(config({}, { rootfs: [] }), 't')).message).toMatch(/rootfs is a list, not an object/);
    expect(failure(() => parseImageConfig(config({}, { rootfs: { diff_ids: 'x' } }), 't')).message).toMatch(/rootfs\.diff_ids is a string/);
    expect(failure(() => parseImageConfig(config({}, { os: 7 }), 't')).message).toMatch(/os is a number, not a string/);
  });
});
