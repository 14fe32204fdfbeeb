import { describe, expect, it } from 'vitest';
import { archivePath } from '../../../src/image/archive-contents.js';

describe('archivePath', () => {
  it('keeps names inside the archive, normalised', () => {
    expect(archivePath('manifest.json')).toBe('manifest.json');
    expect(archivePath('./blobs//sha256/abc')).toBe('blobs/sha256/abc');
    expect(archivePath('blobs/')).toBe('blobs');
    expect(archivePath('./')).toBe('');
  });

  it('refuses names that climb out or are absolute', () => {
    for (const n of ['../x', 'a/../../x', 'a/..', '/etc/passwd', '////etc/x', 'a\0b']) expect(archivePath(n)).toBeUndefined();
  });
});
