import { describe, expect, it } from 'vitest';
import { formatTable, timeAgo } from '../../../src/cli/table.js';
import { BUT_NEWLINE, TITLE } from '../../helpers/untrusted-text.js';

describe('tables', () => {
  it('aligns columns', () => {
    expect(formatTable(['A', 'BB'], [['xxx', 'y']])).toBe('A     BB\nxxx   y\n');
  });
  it('says how long ago', () => {
    const now = Date.parse('2026-01-10T00:00:00Z');
    expect(timeAgo('2026-01-09T23:59:00Z', now)).toBe('1 minute ago');
    expect(timeAgo('2026-01-03T00:00:00Z', now)).toBe('1 week ago');
    expect(timeAgo('nope', now)).toBe('unknown');
  });
});

describe('tables and templates', () => {
  it('formatTable escapes image-provided cells (a ps COMMAND from an Entrypoint)', () => {
    const out = formatTable(['IMAGE', 'COMMAND'], [['busybox', `"/bin/echo ${TITLE}"`]]);
    expect(out).not.toMatch(BUT_NEWLINE);
    expect(out).toContain('"/bin/echo \\x1b]0;pwned\\x07"');
  });
});
