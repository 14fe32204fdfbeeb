/**
 * Text from a registry, an image config or an archive is never printed raw:
 * a platform name, media type or tag can carry terminal escapes (ESC]0;…BEL
 * retitles the window, ESC[2J clears the screen). Everything racker prints
 * that such text can reach goes through this module.
 */

/**
 * C0 controls, DEL, C1 controls (U+0080–U+009F: some terminals obey them like
 * ESC sequences) and the bidi overrides that make text read differently than it is
 */
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
/** the same except newline and tab, for messages that are several lines on purpose */
const CONTROLS_BUT_LAYOUT = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/** how many characters of one untrusted value a message shows */
export const SHOWN_MAX = 200;

function escaped(c: string): string {
  const code = c.charCodeAt(0);
  return code > 0xff ? `\\u${code.toString(16)}` : `\\x${code.toString(16).padStart(2, '0')}`;
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

/**
 * A tool's output (mmdebstrap, skopeo…) made safe to print: terminal escape
 * sequences dropped whole, other control bytes and bidi overrides turned into
 * spaces, line breaks kept as '\n'.
 */
export function cleanText(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)?|\u001b[@-_]?/g, '')
    .replace(/\r\n?/g, '\n')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, ' ');
}
