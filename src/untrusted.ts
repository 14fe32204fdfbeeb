/**
 * Text from a registry, an image config or an archive is never printed raw:
 * a platform name, media type or tag can carry terminal escapes (ESC]0;…BEL
 * retitles the window, ESC[2J clears the screen). Everything racker prints
 * that such text can reach goes through this module.
 */

/** C0 controls, DEL, and C1 controls (U+0080–U+009F: some terminals obey them like ESC sequences) */
const CONTROLS = /[\x00-\x1f\x7f-\x9f]/g;
/** the same except newline and tab, for messages that are several lines on purpose */
const CONTROLS_BUT_LAYOUT = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** how many characters of one untrusted value a message shows */
export const SHOWN_MAX = 200;

function escaped(c: string): string {
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/**
 * One untrusted value inside a message or a table cell: control characters
 * shown as \x1b, cut after `max` characters (pass Infinity to keep it whole).
 * A value that is not a string is shown as JSON.
 */
export function shown(value: unknown, max = SHOWN_MAX): string {
  let s = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  if (s.length > max) {
    // never split a surrogate pair
    const end = /[\ud800-\udbff]/.test(s[max - 1]) ? max - 1 : max;
    s = `${s.slice(0, end)}…`;
  }
  return s.replace(CONTROLS, escaped);
}

/** A whole message about to reach the terminal: control characters escaped, newlines and tabs kept. */
export function printable(text: string): string {
  return text.replace(CONTROLS_BUT_LAYOUT, escaped);
}

/** JSON for the terminal: JSON.stringify escapes C0 controls itself, but leaves DEL and C1 raw. */
export function printableJson(value: unknown, indent?: number): string {
  return (JSON.stringify(value, null, indent) ?? 'null').replace(/[\x7f-\x9f]/g, c => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** A few items of a list that may be huge (an index can name thousands of platforms), and how many were left out. */
export function someOf(items: string[], max = 5): string {
  const some = items.slice(0, max).map(i => shown(i, 80)).join(', ');
  return items.length > max ? `${some} ... and ${items.length - max} more` : some;
}
