import type { ImageRecord } from '../model/image.js';

/** One row of `image history`: a history entry of the image config, newest first. */
export interface HistoryRow {
  /** the image id on the newest row, `<missing>` below it (as docker shows pulled images) */
  id: string;
  created: string;
  createdBy: string;
  /** bytes of the layer this step made; 0 for an empty_layer step */
  size: number;
  comment: string;
  emptyLayer: boolean;
}

interface HistoryEntry { created?: unknown; created_by?: unknown; comment?: unknown; empty_layer?: unknown }

const text = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * docker's history: the config's `history` entries, each non-empty one matched
 * to the next layer (bottom first), listed top first. An image whose config
 * has no history gets one row per layer.
 */
export function imageHistory(rec: ImageRecord, layerSizes: number[]): HistoryRow[] {
  const entries: HistoryEntry[] = Array.isArray(rec.config.history)
    ? rec.config.history.filter((h): h is HistoryEntry => typeof h === 'object' && h !== null)
    : [];
  const rows: HistoryRow[] = [];
  let layer = 0;
  if (entries.length === 0) {
    for (let i = 0; i < rec.layers.length; i++) rows.push({ id: '<missing>', created: text(rec.config.created), createdBy: '', size: layerSizes[i] ?? 0, comment: '', emptyLayer: false });
  }
  for (const h of entries) {
    const empty = h.empty_layer === true;
    rows.push({ id: '<missing>', created: text(h.created), createdBy: text(h.created_by), size: empty ? 0 : layerSizes[layer] ?? 0, comment: text(h.comment), emptyLayer: empty });
    if (!empty) layer++;
  }
  rows.reverse();
  if (rows.length) rows[0].id = rec.id;
  return rows;
}
