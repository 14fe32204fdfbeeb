import { describe, expect, it } from 'vitest';
import { probeContainerName } from '../../../../src/postroj/pkgprobe/prepare.js';

describe('probe container names', () => {
  it('are valid racker names for labels and references, and unique', () => {
    const names = ['debian-bookworm', 'docker://localhost:5000/x/y:tag', 'sha256:' + 'a'.repeat(64), '../..'].map(probeContainerName);
    for (const n of names) expect(n).toMatch(/^postroj-[a-zA-Z0-9][a-zA-Z0-9_.-]{0,54}$/);
    expect(names[0]).toMatch(/^postroj-debian-bookworm-[0-9a-f]{6}$/);
    expect(probeContainerName('x')).not.toBe(probeContainerName('x'));
  });
});
