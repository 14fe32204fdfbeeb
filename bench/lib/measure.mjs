// Timing, statistics and the printed table.
import { execa } from 'execa';

export async function timeIt(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Set on Ctrl-C / SIGTERM: no new command starts while the benchmark cleans up. */
export const abort = { requested: false };

/** Run a command; fail loudly (a benchmark of a failing command measures nothing). */
export async function must(cmd, args, opts = {}) {
  if (abort.requested) throw new Error('bench: interrupted');
  const r = await execa(cmd, args, { stdin: 'ignore', reject: false, ...opts });
  if (r.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.exitCode}: ${String(r.stderr).trim().split('\n').slice(-3).join(' | ')}`);
  return r;
}

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], runs: s.length, samples };
}

/**
 * One warm-up round (not counted), then `runs` rounds; in each round every
 * contender runs once, in rotating order, so drift hits them alike.
 * contenders: [{ name, run: async () => void, before?: async () => void, after?: async () => void }]
 */
export async function alternate(contenders, runs) {
  const times = Object.fromEntries(contenders.map(c => [c.name, []]));
  for (let round = -1; round < runs; round++) {
    const order = contenders.map((_, i) => contenders[(i + Math.max(round, 0)) % contenders.length]);
    for (const c of order) {
      await c.before?.();
      const ms = await timeIt(c.run);
      await c.after?.();
      if (round >= 0) times[c.name].push(ms);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, stats(v)]));
}

const fmtMs = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
export const fmt = { ms: fmtMs };

export function printTable(title, rows) {
  const header = ['contender', 'median', 'min–max', 'ratio', 'target', 'met'];
  const cells = rows.map(r => [
    r.name,
    r.stats ? fmtMs(r.stats.median) : (r.value ?? '-'),
    r.stats ? `${fmtMs(r.stats.min)}–${fmtMs(r.stats.max)}` : '',
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×${r.ratioOf ? ` ${r.ratioOf}` : ''}`,
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map(c => c[i].length)));
  const line = (c) => c.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd();
  console.log(`\n## ${title}`);
  console.log(line(header));
  for (const c of cells) console.log(line(c));
}
