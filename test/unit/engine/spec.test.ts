import { describe, expect, it } from 'vitest';
import { RackerError } from '../../../src/errors.js';
import { ENV_TOTAL_MAX_BYTES } from '../../../src/runtime/env.js';
import { checkSpecInput, commandLine, DEFAULT_BOOT_TIMEOUT, DEFAULT_STOP_TIMEOUT, specFor } from '../../../src/engine/spec.js';
import type { ImageRecord } from '../../../src/model/image.js';
import type { TmpfsMount } from '../../../src/model/mounts.js';

describe('command line', () => {
  const cfg = { Entrypoint: ['/ep'], Cmd: ['default'] };
  it('is Entrypoint + Cmd, a command replacing Cmd', () => {
    expect(commandLine(cfg, [])).toEqual(['/ep', 'default']);
    expect(commandLine(cfg, ['x'])).toEqual(['/ep', 'x']);
  });
  it('--entrypoint replaces the entrypoint and drops the image Cmd', () => {
    expect(commandLine(cfg, [], 'sh')).toEqual(['sh']);
    expect(commandLine(cfg, ['-c', 'id'], 'sh')).toEqual(['sh', '-c', 'id']);
    expect(commandLine(cfg, ['ls'], '')).toEqual(['ls']);
  });
  it('is empty when the image has neither', () => {
    expect(commandLine(undefined, [])).toEqual([]);
  });
  it('treats null Entrypoint and Cmd (as OCI allows) as absent', () => {
    expect(commandLine({ Entrypoint: null, Cmd: null }, [])).toEqual([]);
    expect(commandLine({ Entrypoint: null, Cmd: ['sh'] }, [])).toEqual(['sh']);
    expect(commandLine({ Entrypoint: ['/ep'], Cmd: null }, ['x'])).toEqual(['/ep', 'x']);
  });
});

/** The error `fn` throws: a RackerError with exit code 125. */
function refusal(fn: () => unknown): RackerError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RackerError);
    expect((err as RackerError).exitCode).toBe(125);
    return err as RackerError;
  }
  throw new Error('expected a refusal');
}

const image = (config: NonNullable<ImageRecord['config']['config']> | null): ImageRecord => ({
  id: `sha256:${'c'.repeat(64)}`, manifestDigest: `sha256:${'d'.repeat(64)}`, repoDigests: [], layers: [], diffIds: [],
  config: { rootfs: { type: 'layers', diff_ids: [] }, config }, size: 1, pulledAt: '2026-01-01T00:00:00Z', source: 'test',
});

describe('checkSpecInput', () => {
  it('accepts a full, valid description', () => {
    expect(() => checkSpecInput({
      image: 'busybox', name: 'web-1.a_b', hostname: 'web.example', env: [['PATH', '/bin'], ['_X1', '']],
      volumes: [{ source: '/h', target: '/srv/data', readOnly: false }], workdir: '/srv', stopTimeout: 0, bootTimeout: 0.5,
    })).not.toThrow();
    expect(() => checkSpecInput({ image: 'busybox' })).not.toThrow();
  });

  it('refuses a bad name or hostname with 125', () => {
    for (const name of ['', 'bad name', '-x', 'a..b', 'a/b', 'x'.repeat(64)]) {
      expect(refusal(() => checkSpecInput({ image: 'i', name })).message, name).toMatch(/^invalid container name/);
    }
    for (const hostname of ['-web', 'web-', 'a_b', 'a..b', 'x'.repeat(64)]) {
      const err = refusal(() => checkSpecInput({ image: 'i', hostname }));
      expect(err.message, hostname).toMatch(/^invalid hostname/);
      expect(err.hint).toMatch(/labels of letters, digits and dashes/);
    }
  });

  it('refuses environment names nspawn refuses, NUL bytes and an environment too large to start', () => {
    for (const k of ['1A', 'A-B', 'A=B', '', 'É']) {
      expect(refusal(() => checkSpecInput({ image: 'i', env: [[k, 'v']] })).message, k).toMatch(/^invalid environment variable name/);
    }
    expect(refusal(() => checkSpecInput({ image: 'i', env: [['A', 'x\0y']] })).message).toBe('environment variable A contains a NUL byte');
    const big = refusal(() => checkSpecInput({ image: 'i', env: [['A', 'x'.repeat(ENV_TOTAL_MAX_BYTES)]] }));
    expect(big.message).toMatch(/environment is too large/);
  });

  it('refuses volume targets that are relative, hold NUL or cover system directories', () => {
    const vol = (target: string) => ({ image: 'i', volumes: [{ source: '/h', target, readOnly: false }] });
    expect(refusal(() => checkSpecInput(vol('srv'))).message).toMatch(/is not an absolute path/);
    expect(refusal(() => checkSpecInput(vol('/srv\0'))).message).toMatch(/NUL/);
    for (const t of ['/', '/proc', '/etc/../etc', '/usr/']) expect(refusal(() => checkSpecInput(vol(t))).message, t).toMatch(/refusing to mount over/);
  });

  it('holds API input to the CLI\'s mount rules: bind sources absolute, known tmpfs options, valid volume names', () => {
    const bind = refusal(() => checkSpecInput({ image: 'i', volumes: [{ source: 'rel', target: '/x', readOnly: false }] }));
    expect(bind.message).toBe("bind source 'rel' is not an absolute path");
    const tmpfs = (m: Partial<TmpfsMount>) => checkSpecInput({ image: 'i', mounts: [{ kind: 'tmpfs', target: '/t', readOnly: false, flags: [], ...m }] });
    expect(refusal(() => tmpfs({ flags: ['remount'] })).message).toBe("invalid tmpfs option 'remount'");
    expect(refusal(() => tmpfs({ flags: ['uid=007'] })).message).toBe("invalid tmpfs option 'uid=007'");
    expect(refusal(() => tmpfs({ size: -1 })).message).toBe("invalid tmpfs size '-1'");
    expect(refusal(() => tmpfs({ mode: 0o10000 })).message).toBe("invalid tmpfs mode '4096'");
    expect(() => tmpfs({ flags: ['noexec', 'uid=7'], size: 65536, mode: 0o1777 })).not.toThrow();
    const vol = refusal(() => checkSpecInput({ image: 'i', mounts: [{ kind: 'volume', name: '../x', target: '/v', readOnly: false, anonymous: false, noCopy: false }] }));
    expect(vol.message).toMatch(/includes invalid characters for a volume name/);
  });

  it('refuses a NUL byte in any string, naming the field, instead of a TypeError later', () => {
    expect(refusal(() => checkSpecInput({ image: 'i', command: ['sh', 'a\0b'] })).message).toBe('command[1] contains a NUL byte');
    expect(refusal(() => checkSpecInput({ image: 'i', user: 'r\0' })).message).toBe('user contains a NUL byte');
    expect(refusal(() => checkSpecInput({ image: 'i', volumes: [{ source: '/h\0', target: '/x', readOnly: false }] })).message).toBe('volumes[0].source contains a NUL byte');
    expect(refusal(() => checkSpecInput({ image: 'i', net: { dns: ['1.1.1.1\0'] } })).message).toBe('net.dns[0] contains a NUL byte');
  });

  it('refuses a relative working directory', () => {
    expect(refusal(() => checkSpecInput({ image: 'i', workdir: 'srv' })).message).toMatch(/needs to be an absolute path/);
  });

  it('refuses timeouts that are negative or not numbers; the boot timeout must be above 0', () => {
    for (const stopTimeout of [-1, Number.NaN, Infinity]) {
      expect(refusal(() => checkSpecInput({ image: 'i', stopTimeout })).message).toBe(`invalid stop timeout ${stopTimeout}`);
    }
    for (const bootTimeout of [0, -1, Number.NaN, Infinity]) {
      expect(refusal(() => checkSpecInput({ image: 'i', bootTimeout })).message).toBe(`invalid boot timeout ${bootTimeout}`);
    }
  });
});

describe('specFor', () => {
  const busybox = image({ Cmd: ['sh'], WorkingDir: '/home' });

  it('resolves the command line and fills in the defaults', () => {
    expect(specFor({ image: 'busybox' }, busybox, 'busybox', false)).toEqual({
      mode: 'app', image: busybox.id, imageName: 'busybox', command: ['sh'], env: [], workdir: undefined, user: undefined,
      hostname: undefined, volumes: [], tty: false, interactive: false, name: undefined, autoRemove: false,
      stopTimeout: DEFAULT_STOP_TIMEOUT, bootTimeout: DEFAULT_BOOT_TIMEOUT,
    });
    expect(DEFAULT_STOP_TIMEOUT).toBe(10);
    expect(DEFAULT_BOOT_TIMEOUT).toBe(60);
    const spec = specFor({ image: 'b', command: ['id'], entrypoint: '/bin/env', tty: true, interactive: true, autoRemove: true, stopTimeout: 3, bootTimeout: 5 }, busybox, 'b', false);
    expect(spec).toMatchObject({ command: ['/bin/env', 'id'], tty: true, interactive: true, autoRemove: true, stopTimeout: 3, bootTimeout: 5 });
  });

  it('stores labels as given (compose finds its containers by them); a NUL in one is refused', () => {
    const labels = { 'com.docker.compose.project': 'shop', tier: '' };
    expect(specFor({ image: 'b', command: ['id'], labels }, busybox, 'b', false).labels).toEqual(labels);
    expect(specFor({ image: 'b', command: ['id'] }, busybox, 'b', false).labels).toBeUndefined();
    expect(refusal(() => checkSpecInput({ image: 'b', labels: { 'a\0b': 'x' } })).message).toMatch(/^invalid label/);
  });

  it('normalises volume targets and the working directory', () => {
    const spec = specFor({
      image: 'b', workdir: '/srv/../app/', volumes: [{ source: '/h', target: '/srv/data/', readOnly: true }, { source: '/g', target: '/a//b/../c', readOnly: false }],
    }, busybox, 'b', false);
    expect(spec.volumes).toEqual([{ source: '/h', target: '/srv/data', readOnly: true }, { source: '/g', target: '/a/c', readOnly: false }]);
    expect(spec.workdir).toBe('/app/');
  });

  it("refuses an image whose WorkingDir is relative, unless -w replaces it", () => {
    const broken = image({ Cmd: ['sh'], WorkingDir: 'srv' });
    expect(refusal(() => specFor({ image: 'b' }, broken, 'b', false)).message).toMatch(/image's WorkingDir "srv" is not an absolute path/);
    expect(specFor({ image: 'b', workdir: '/w' }, broken, 'b', false).workdir).toBe('/w');
  });

  it('an app container needs a command: from the caller or the image', () => {
    const err = refusal(() => specFor({ image: 'scratch' }, image(null), 'scratch', false));
    expect(err.message).toBe('no command specified');
    expect(err.hint).toMatch(/give a command after the image name/);
    expect(refusal(() => specFor({ image: 'b', entrypoint: '' }, image({ Entrypoint: ['/ep'] }), 'b', false)).message).toBe('no command specified');
    expect(specFor({ image: 'scratch', command: ['/x'] }, image(null), 'scratch', false).command).toEqual(['/x']);
  });

  it('a booted container started detached without a command stays up; attached, it runs the image Cmd', () => {
    const os = image({ Cmd: ['/bin/bash'] });
    expect(specFor({ image: 'debian' }, os, 'debian', true, true)).toMatchObject({ mode: 'boot', command: [] });
    expect(specFor({ image: 'debian' }, os, 'debian', true, false).command).toEqual(['/bin/bash']);
    expect(specFor({ image: 'debian', command: ['id'] }, os, 'debian', true, true).command).toEqual(['id']);
    expect(specFor({ image: 'debian', entrypoint: '/bin/true' }, os, 'debian', true, true).command).toEqual(['/bin/true']);
    // booted, nothing to run at all is fine: systemd is the container's process
    expect(specFor({ image: 'debian' }, image(null), 'debian', true, false).command).toEqual([]);
    // an app container ignores `detached` for this rule
    expect(specFor({ image: 'debian' }, os, 'debian', false, true).command).toEqual(['/bin/bash']);
  });

  it('runs every check of checkSpecInput', () => {
    expect(refusal(() => specFor({ image: 'b', name: 'bad name' }, busybox, 'b', false)).message).toMatch(/invalid container name/);
    expect(refusal(() => specFor({ image: 'b', bootTimeout: 0 }, busybox, 'b', true)).message).toBe('invalid boot timeout 0');
  });
});
