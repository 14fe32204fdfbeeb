import { describe, expect, it } from 'vitest';
import { isValidVolumeName } from '../../../src/model/volume-names.js';

describe('volume names', () => {
  it("follow docker's [a-zA-Z0-9][a-zA-Z0-9_.-]+", () => {
    for (const ok of ['ab', 'data', 'my_vol.1-x', '0a', 'a..b']) expect(isValidVolumeName(ok), ok).toBe(true);
    for (const bad of ['', 'a', '.ab', '-ab', '_ab', 'a/b', '..', 'a b', 'a:b', 'é1', 'x'.repeat(256)]) expect(isValidVolumeName(bad), bad).toBe(false);
  });
});
