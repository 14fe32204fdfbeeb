import { afterEach, describe, expect, it, vi } from 'vitest';
import { toRackerError } from '../../../src/process.js';
import { logLevel } from '../../../src/log.js';
import { cleanText } from '../../../src/untrusted.js';
import { reportError } from '../../../src/cli/context.js';
import { MMDEBSTRAP_DNS } from '../../helpers/tool-output.js';

describe('--debug after a failed tool', () => {
  afterEach(() => {
    logLevel.debug = false;
    vi.restoreAllMocks();
  });

  it('reportError prints the detail of a tool failure instead of [object Object]', () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { written.push(String(chunk)); return true; });
    logLevel.debug = true;
    const err = toRackerError('mmdebstrap', { command: 'mmdebstrap stretch', exitCode: 25, stderr: MMDEBSTRAP_DNS });
    expect(reportError('racker', err)).toBe(125);
    const out = cleanText(written.join(''));
    expect(out).toMatch(/^racker: mmdebstrap returned exit code 25: E: Failed to fetch .*Temporary failure resolving 'archive.debian.org'\n  E: Some index/);
    expect(out).not.toContain('[object Object]');
    expect(out).toContain('command: mmdebstrap stretch');
    expect(out).toContain('I: removing tempdir');
  });
});
