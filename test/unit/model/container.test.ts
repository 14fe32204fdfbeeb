import { describe, expect, it } from 'vitest';
import { validateContainerName } from '../../../src/model/container.js';

describe('validateContainerName', () => {
  it("takes docker's names: a letter or digit, then letters, digits, _ . -, at most 63", () => {
    for (const ok of ['web', 'web-1', 'a_b.c', '0x', 'a'.repeat(63)]) expect(() => validateContainerName(ok)).not.toThrow();
  });

  it('refuses what would not be safe as a machine name or a path', () => {
    for (const bad of ['', '-web', '.web', 'a/b', 'a..b', 'a b', 'a'.repeat(64), 'ä']) {
      expect(() => validateContainerName(bad)).toThrow(/invalid container name/);
    }
  });
});
