import { describe, expect, it } from 'vitest';
import { isValidUnitName, unitName } from '../../../../src/postroj/pkgprobe/unit-check.js';

describe('units', () => {
  it('adds .service as systemctl does', () => {
    expect(unitName('nginx')).toBe('nginx.service');
    expect(unitName('ssh.socket')).toBe('ssh.socket');
    expect(unitName('getty@tty1')).toBe('getty@tty1.service');
    expect(unitName('my.app')).toBe('my.app.service');
  });

  it('accepts unit names only', () => {
    expect(isValidUnitName('getty@tty1.service')).toBe(true);
    expect(isValidUnitName('--now')).toBe(false);
    expect(isValidUnitName('a b')).toBe(false);
    expect(isValidUnitName('x;rm')).toBe(false);
  });
});
