import { describe, expect, it } from 'vitest';
import { DEFAULT_DEVICES, devicePolicy, deviceRule, programRules, v1Lines } from '../../../src/runtime/device-policy.js';

const chr = (rdev: number) => ({ isCharacterDevice: () => true, rdev });

describe('device policy', () => {
  it('is docker\'s default list: null, zero, full, random, urandom, tty, ptmx, pts; no console, no tun, nothing else', () => {
    expect(v1Lines(DEFAULT_DEVICES)).toEqual(['c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 5:0 rwm', 'c 5:2 rwm', 'c 136:* rwm']);
  });
  it('is written as racker-devices\' arguments for cgroup v2', () => {
    expect(programRules([{ type: 'c', major: 136, minor: '*', access: 'rwm' }, { type: 'b', major: 7, minor: 0, access: 'r' }])).toEqual(['c:136:*:rwm', 'b:7:0:r']);
  });
  it('--privileged has none; --device adds exactly its node with the access asked for', async () => {
    expect(await devicePolicy({ privileged: true, devices: [{ hostPath: '/dev/null', containerPath: '/dev/x', permissions: 'r' }] })).toBeUndefined();
    expect(await devicePolicy({})).toEqual(DEFAULT_DEVICES);
    const rules = await devicePolicy({ devices: [{ hostPath: '/dev/full', containerPath: '/dev/f', permissions: 'r' }] });
    expect(v1Lines(rules!.slice(DEFAULT_DEVICES.length))).toEqual(['c 1:7 r']);
  });
  it('a node gone meanwhile adds nothing (parityBinds refuses it)', async () => {
    expect(await devicePolicy({ devices: [{ hostPath: '/dev/racker-no-such-node', containerPath: '/dev/x', permissions: 'rwm' }] })).toEqual(DEFAULT_DEVICES);
  });
  it('decodes Linux dev_t, large majors and minors included', () => {
    expect(deviceRule(chr((10 << 8) | 229), 'rw')).toEqual({ type: 'c', major: 10, minor: 229, access: 'rw' });
    // major 259, minor 300: minor's high bits at 20..31, major's low 12 bits at 8..19
    expect(deviceRule({ isCharacterDevice: () => false, rdev: (259 << 8) | (300 & 0xff) | ((300 & ~0xff) << 12) }, 'rrm'))
      .toEqual({ type: 'b', major: 259, minor: 300, access: 'rm' });
  });
});
