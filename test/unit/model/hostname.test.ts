import { describe, expect, it } from 'vitest';
import { isValidHostname } from '../../../src/model/hostname.js';

describe('isValidHostname (what systemd-nspawn accepts)', () => {
  it('accepts labels of letters, digits and inner dashes', () => {
    for (const ok of ['a', 'web-1', 'db.internal', 'a--b', '0pen', 'x'.repeat(63)]) expect(isValidHostname(ok), ok).toBe(true);
  });
  it('refuses empty labels, edge dashes, trailing dots, other characters and length over 63', () => {
    for (const bad of ['', 'a..b', '.a', 'a.', '-a', 'a-', 'a.-b', 'a-.b', 'a b', 'a_b', 'é', 'x'.repeat(64)]) expect(isValidHostname(bad), bad).toBe(false);
  });
});
