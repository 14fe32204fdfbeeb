import { describe, expect, it } from 'vitest';
import { describeCause } from '../../src/log.js';
import { MMDEBSTRAP_DNS } from '../helpers/tool-output.js';

describe('--debug after a failed tool', () => {
  it('describes a failed command by its command line, exit code and output', () => {
    const text = describeCause({ command: 'mmdebstrap stretch /x', exitCode: 25, stderr: MMDEBSTRAP_DNS, stdout: '' });
    expect(text).toContain('command: mmdebstrap stretch /x');
    expect(text).toContain('exit code: 25');
    expect(text).toContain("Temporary failure resolving 'archive.debian.org'");
    expect(text).not.toContain('[object Object]');
  });

  it('describes an Error by its stack and its own cause', () => {
    const text = describeCause(new Error('outer', { cause: new Error('inner \u001b[31mred') }));
    expect(text).toMatch(/^Error: outer\n\s+at /);
    expect(text).toContain('caused by: Error: inner red');
  });
});
