import { RackerError } from '../errors.js';
import { printableJson, shown } from '../untrusted.js';

/**
 * The part of Go's text/template that `--format` users reach for:
 * `{{.State.Status}}`, `{{.Config.Env}}`, `{{json .Config}}`, with text around them.
 */
export function renderTemplate(template: string, data: unknown): string {
  return template.replace(/\{\{\s*(json\s+)?\.([\w.]*)\s*\}\}/g, (_m, json: string | undefined, pathText: string) => {
    let v: unknown = data;
    for (const key of pathText.split('.').filter(Boolean)) {
      if (v === null || typeof v !== 'object' || !(key in (v as object))) {
        throw new RackerError(`template: no field "${key}" in {{${json ?? ''}.${pathText}}}`, { hint: 'field names are case-sensitive, e.g. {{.State.Status}}' });
      }
      v = (v as Record<string, unknown>)[key];
    }
    // values come from images (labels, env, entrypoints): escaped, never raw
    if (json) return printableJson(v);
    if (Array.isArray(v)) return shown(`[${v.join(' ')}]`, Infinity);
    if (v !== null && typeof v === 'object') return shown(`map[${Object.entries(v).map(([k, x]) => `${k}:${String(x)}`).join(' ')}]`, Infinity);
    return v === null || v === undefined ? '<no value>' : shown(String(v), Infinity);
  }).replace(/\\n/g, '\n');
}
