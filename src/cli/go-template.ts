import { RackerError } from '../errors.js';

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
    if (json) return JSON.stringify(v);
    if (Array.isArray(v)) return `[${v.join(' ')}]`;
    if (v !== null && typeof v === 'object') return `map[${Object.entries(v).map(([k, x]) => `${k}:${String(x)}`).join(' ')}]`;
    return v === null || v === undefined ? '<no value>' : String(v);
  }).replace(/\\n/g, '\n');
}
