import { describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SPACE_FAIL_BYTES, SPACE_WARN_BYTES, existingAncestor, fsName, rootVerdict, spaceVerdict, storeFsVerdict } from '../../../../src/runtime/doctor/store.js';

const EXT4 = 0xef53;
const OVERLAY = 0x794c7630;
const NFS = 0x6969;

describe('doctor: the store', () => {
  it('root is required', () => {
    expect(rootVerdict(0).status).toBe('ok');
    const user = rootVerdict(1000);
    expect(user.status).toBe('fail');
    expect(user.detail).toContain('uid 1000');
    expect(user.fix).toContain('sudo');
  });
  it('free space: warn under 2 GiB, fail under 200 MiB, and says where it looked', () => {
    expect(SPACE_WARN_BYTES).toBe(2 * 1024 ** 3);
    expect(SPACE_FAIL_BYTES).toBe(200 * 1024 ** 2);
    expect(spaceVerdict('/s', '/s', 80 * 1024 ** 3)).toMatchObject({ status: 'ok', detail: '80.0 GiB free at /s' });
    expect(spaceVerdict('/s', '/s', SPACE_WARN_BYTES).status).toBe('ok');
    expect(spaceVerdict('/s', '/s', SPACE_WARN_BYTES - 1).status).toBe('warn');
    expect(spaceVerdict('/s', '/s', SPACE_FAIL_BYTES).status).toBe('warn');
    const tight = spaceVerdict('/s', '/s', SPACE_FAIL_BYTES - 1);
    expect(tight.status).toBe('fail');
    expect(tight.fix).toContain('--root');
    expect(spaceVerdict('/var/lib/racker', '/var/lib', 80 * 1024 ** 3).detail).toContain('/var/lib (/var/lib/racker does not exist yet)');
  });
  it('store file system: the probe decides; without it, overlay and the like fail and others are only warned about', () => {
    expect(fsName(EXT4)).toBe('ext4');
    expect(fsName(0x12345)).toBe('0x12345');
    expect(storeFsVerdict('/s', EXT4, { mounted: true }).status).toBe('ok');
    const onOverlay = storeFsVerdict('/s', OVERLAY, { mounted: false, error: 'wrong fs type' });
    expect(onOverlay.status).toBe('fail');
    expect(onOverlay.detail).toContain('overlay');
    expect(onOverlay.detail).toContain('wrong fs type');
    expect(onOverlay.fix).toContain('--root');
    expect(storeFsVerdict('/s', OVERLAY).status).toBe('fail');
    expect(storeFsVerdict('/s', NFS).status).toBe('fail');
    const untested = storeFsVerdict('/s', EXT4);
    expect(untested.status).toBe('warn');
    expect(untested.detail).toContain('not tested');
  });
  it('looks at the nearest existing directory when the store is not created yet, creating nothing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'racker-doctor-unit-'));
    try {
      await mkdir(path.join(dir, 'a'));
      expect(await existingAncestor(path.join(dir, 'a'))).toBe(path.join(dir, 'a'));
      expect(await existingAncestor(path.join(dir, 'a', 'b', 'c'))).toBe(path.join(dir, 'a'));
      expect(await existingAncestor('/')).toBe('/');
      await expect(import('node:fs/promises').then(f => f.stat(path.join(dir, 'a', 'b')))).rejects.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
