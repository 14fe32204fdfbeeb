import { describe, expect, it } from 'vitest';
import { imageHistory } from '../../../src/engine/image-history.js';
import type { ImageRecord } from '../../../src/model/image.js';

const rec = (history: unknown[] | undefined, layers = ['sha256:a', 'sha256:b']): ImageRecord => ({
  id: 'sha256:' + 'f'.repeat(64), manifestDigest: 'sha256:m', repoDigests: [], layers, diffIds: [], size: 0, pulledAt: '2026-01-02T00:00:00Z', source: 'x',
  config: { created: '2026-01-01T00:00:00Z', history },
});

describe('imageHistory', () => {
  it('matches non-empty steps to layers bottom first, lists newest first, the id on the top row', () => {
    const rows = imageHistory(rec([
      { created: '2026-01-01T00:00:00Z', created_by: 'ADD rootfs.tar /' },
      { created: '2026-01-01T00:00:01Z', created_by: 'ENV A=1', empty_layer: true },
      { created: '2026-01-01T00:00:02Z', created_by: 'RUN make', comment: 'buildkit' },
      { created: '2026-01-01T00:00:03Z', created_by: 'CMD ["sh"]', empty_layer: true },
    ]), [100, 200]);
    expect(rows.map(r => [r.id.slice(0, 9), r.createdBy, r.size, r.comment])).toEqual([
      ['sha256:ff', 'CMD ["sh"]', 0, ''],
      ['<missing>', 'RUN make', 200, 'buildkit'],
      ['<missing>', 'ENV A=1', 0, ''],
      ['<missing>', 'ADD rootfs.tar /', 100, ''],
    ]);
  });

  it('without history: one row per layer, dated by the config', () => {
    const rows = imageHistory(rec(undefined), [1, 2]);
    expect(rows.map(r => [r.id === '<missing>', r.size, r.created])).toEqual([[false, 2, '2026-01-01T00:00:00Z'], [true, 1, '2026-01-01T00:00:00Z']]);
  });

  it('ignores entries that are not objects and fields that are not strings', () => {
    const rows = imageHistory(rec([null, 'x', { created_by: 42, comment: {} }], ['sha256:a']), [5]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ createdBy: '', comment: '', size: 5 });
  });
});
