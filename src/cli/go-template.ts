import { RackerError } from '../errors.js';
import { printableJson, shown } from '../untrusted.js';

const ACTION = /\{\{\s*(json\s+)?\.([\w.]*)\s*\}\}/g;

/**
 * Go's `json` template function: encoding/json escapes <, > and & (and the
 * line and paragraph separators) as \u003c …, on top of what JSON.stringify does.
 */
function goJson(v: unknown): string {
  return printableJson(v).replace(/[<>&\u2028\u2029]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function value(data: unknown, json: string | undefined, pathText: string): string {
  let v: unknown = data;
  for (const key of pathText.split('.').filter(Boolean)) {
    if (v === null || typeof v !== 'object' || !(key in (v as object))) {
      throw new RackerError(`template: no field "${shown(key, 80)}" in {{${json ?? ''}.${shown(pathText, 80)}}}`, { hint: 'field names are case-sensitive, e.g. {{.State.Status}}' });
    }
    v = (v as Record<string, unknown>)[key];
  }
  // values come from images (labels, env, entrypoints): escaped, never raw
  if (json) return goJson(v);
  if (Array.isArray(v)) return shown(`[${v.join(' ')}]`, Infinity);
  if (v !== null && typeof v === 'object') return shown(`map[${Object.entries(v).map(([k, x]) => `${k}:${String(x)}`).join(' ')}]`, Infinity);
  return v === null || v === undefined ? '<no value>' : shown(String(v), Infinity);
}

/**
 * The part of Go's text/template that `--format` users reach for:
 * `{{.State.Status}}`, `{{.Config.Env}}`, `{{json .Config}}`, with text around them.
 * A `\n` in the template's own text is a newline; in a value it stays as it was
 * rendered (JSON's \n escape must not become a line break).
 */
export function renderTemplate(template: string, data: unknown): string {
  let out = '';
  let at = 0;
  for (const m of template.matchAll(ACTION)) {
    out += template.slice(at, m.index).replace(/\\n/g, '\n') + value(data, m[1], m[2]);
    at = m.index + m[0].length;
  }
  return out + template.slice(at).replace(/\\n/g, '\n');
}
