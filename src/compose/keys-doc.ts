import { SERVICE_KEYS, TOP_LEVEL_KEYS, type KeyRule } from './keys.js';

/**
 * The key tables of docs/compose.md, made from keys.ts: the doc between
 * its `keys:begin` and `keys:end` markers is this text
 * (`node scripts/compose-keys-doc.mjs` writes it; a unit test checks it).
 */

const cell = (s: string | undefined) => (s ?? '').replace(/\|/g, '\\|');

function atRunTime(rule: KeyRule): string {
  if (rule.status === 'refused') return '—';
  if (rule.status === 'warned') return 'ignored';
  return rule.applied ?? (rule.note?.startsWith('as --') ? `applied ${rule.note.split(':')[0]}` : 'applied');
}

export function keyTablesMarkdown(): string {
  const service = Object.entries(SERVICE_KEYS).map(([k, r]) => `| \`${k}\` | ${r.status} | ${cell(r.note)} | ${cell(atRunTime(r))} |`);
  const top = Object.entries(TOP_LEVEL_KEYS).map(([k, r]) => `| \`${k}\` | ${r.status} | ${cell(r.note)} |`);
  return [
    '### Services', '| key | status | notes | at run time |', '|---|---|---|---|', ...service, '',
    '### Top level', '| key | status | notes |', '|---|---|---|', ...top,
  ].join('\n');
}

export const BEGIN = '<!-- keys:begin (generated from src/compose/keys.ts by scripts/compose-keys-doc.mjs) -->';
export const END = '<!-- keys:end -->';

/** The doc with its key tables replaced by the generated ones. */
export function withKeyTables(doc: string): string {
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error('docs/compose.md has no keys:begin / keys:end markers');
  return `${doc.slice(0, a + BEGIN.length)}\n${keyTablesMarkdown()}\n${doc.slice(b)}`;
}
