import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LOG_LINE } from '../../../src/runtime/container-log.js';

function split(chunks: Buffer[]): [string, boolean][] {
  const out: [string, boolean][] = [];
  const s = new LineSplitter((l, p) => out.push([l, p]));
  for (const c of chunks) s.push(c);
  s.end();
  return out;
}

describe('log lines', () => {
  it('cuts at newlines across chunks and keeps an unfinished last line', () => {
    expect(split([Buffer.from('a\nb'), Buffer.from('c\n\nd')])).toEqual([['a', false], ['bc', false], ['', false], ['d', false]]);
  });

  it('logs a line longer than 16 KiB in pieces of at most 16 KiB, marked partial', () => {
    const long = 'x'.repeat(MAX_LOG_LINE * 2 + 10);
    const out = split([Buffer.from(long.slice(0, 5000)), Buffer.from(long.slice(5000) + '\nnext\n')]);
    expect(out.map(([l, p]) => [l.length, p])).toEqual([[MAX_LOG_LINE, true], [MAX_LOG_LINE, true], [10, false], [4, false]]);
    expect(out.slice(0, 3).map(([l]) => l).join('')).toBe(long);
  });

  it('a line of exactly 16 KiB is one piece and an empty rest', () => {
    const out = split([Buffer.from('y'.repeat(MAX_LOG_LINE) + '\n')]);
    expect(out.map(([l, p]) => [l.length, p])).toEqual([[MAX_LOG_LINE, true], [0, false]]);
  });

  it('never cuts a UTF-8 character in two', () => {
    const text = 'a' + 'é'.repeat(MAX_LOG_LINE);
    const out = split([Buffer.from(text)]);
    expect(out.every(([l]) => !l.includes('\ufffd') && Buffer.byteLength(l) <= MAX_LOG_LINE)).toBe(true);
    expect(out.map(([l]) => l).join('')).toBe(text);
  });
});
