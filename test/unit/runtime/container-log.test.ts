import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { LineSplitter, LogWriter, MAX_LOG_LINE, type LogLine } from '../../../src/runtime/container-log.js';

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

describe('LogWriter', () => {
  it('writes each stream\'s lines as records, pieces marked partial, the unfinished last line kept', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'log-writer-'));
    try {
      const file = path.join(dir, 'container.log');
      const log = new LogWriter(file);
      const out = new PassThrough();
      const err = new PassThrough();
      log.capture(out, 'stdout');
      log.capture(err, 'stderr');
      out.write('one\ntw');
      err.end('oops\n');
      out.end(`o\n${'z'.repeat(MAX_LOG_LINE + 1)}`);
      await new Promise(r => setImmediate(r));
      await log.close();
      const records = (await readFile(file, 'utf8')).split('\n').filter(Boolean).map(l => JSON.parse(l) as LogLine);
      const of = (s: LogLine['s']) => records.filter(r => r.s === s).map(r => [r.l.length > 20 ? r.l.length : r.l, r.p ?? false]);
      expect(of('stdout')).toEqual([['one', false], ['two', false], [MAX_LOG_LINE, true], ['z', false]]);
      expect(of('stderr')).toEqual([['oops', false]]);
      expect(records.every(r => !Number.isNaN(Date.parse(r.t)))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
