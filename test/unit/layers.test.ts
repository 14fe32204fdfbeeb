import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('the dependency direction (docs/architecture.md)', () => {
  it('every import in src/ points down the layers, and no verb imports another', async () => {
    const r = await execa(process.execPath, [path.join(REPO, 'scripts/check-layers')], { reject: false });
    expect(r.stdout).toBe('layers: every import points down');
    expect(r.exitCode).toBe(0);
  });
});
