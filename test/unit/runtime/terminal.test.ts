import { describe, expect, it } from 'vitest';
import { useTerminal } from '../../../src/runtime/terminal.js';

describe('-t', () => {
  it('gets a pseudo-terminal only when stdin and stdout are both terminals', () => {
    expect(useTerminal(true, { stdin: true, stdout: true })).toBe(true);
    expect(useTerminal(true, { stdin: false, stdout: true })).toBe(false);
    expect(useTerminal(true, { stdin: true, stdout: false })).toBe(false);
    expect(useTerminal(true, { stdin: false, stdout: false })).toBe(false);
    expect(useTerminal(false, { stdin: true, stdout: true })).toBe(false);
  });
});
