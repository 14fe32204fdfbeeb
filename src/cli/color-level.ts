/**
 * How many colours a terminal takes, by the rules chalk follows (FORCE_COLOR,
 * a terminal or not, TERM, COLORTERM): 0 none, 1 basic, 2 256, 3 true colour.
 * chalk decides once, when it is loaded; a racker started from a start-up
 * snapshot loaded it when the snapshot was built, so it asks again here.
 */
export function colorLevel(terminal: boolean, env: NodeJS.ProcessEnv): 0 | 1 | 2 | 3 {
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === 'false' || force === '0') return 0;
    return force === '2' ? 2 : force === '3' ? 3 : 1;
  }
  if (!terminal || env.TERM === 'dumb') return 0;
  if (env.COLORTERM === 'truecolor' || env.TERM === 'xterm-kitty') return 3;
  if (/-256(color)?$/i.test(env.TERM ?? '')) return 2;
  if (/^screen|^xterm|^vt100|^vt220|^rxvt|color|ansi|cygwin|linux/i.test(env.TERM ?? '') || env.COLORTERM) return 1;
  return 0;
}
