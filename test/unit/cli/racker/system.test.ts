import { describe, expect, it } from 'vitest';
import { reclaimableText, systemPruneWarning } from '../../../../src/cli/racker/system.js';

describe('system df and prune text', () => {
  it('RECLAIMABLE as docker prints it: size and a whole percentage, or just the size when there is nothing', () => {
    expect(reclaimableText({ size: 3000, reclaimable: 2000 })).toBe('2.00kB (66%)');
    expect(reclaimableText({ size: 0, reclaimable: 0 })).toBe('0B');
  });

  it('the prune warning lists what will go', () => {
    expect(systemPruneWarning({})).toBe('WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n');
    expect(systemPruneWarning({ all: true, volumes: true })).toContain('  - all anonymous volumes not used by at least one container\n  - all images without at least one container associated to them\n');
  });
});
