import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LogLine } from '../../../src/runtime/container-log.js';
import { LogCursor, MAX_RECORD, readLogTail } from '../../../src/runtime/container-log-read.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(path.join(tmpdir(), 'log-read-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const rec = (i: number, l = `l${i}`): string => JSON.stringify({ t: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), s: 'stdout', l } satisfies LogLine);

async function logFile(name: string, text: string): Promise<string> {
  const f = path.join(dir, name);
  await writeFile(f, text);
  return f;
}

async function all(c: LogCursor): Promise<string[]> {
  const out: string[] = [];
  for await (const l of c.lines()) out.push(l.l);
  return out;
}

describe('reading a log', () => {
  it('streams forward to the last complete line and goes on from there', async () => {
    const f = await logFile('fwd', `${rec(1)}\nnot json\n${rec(2)}\n${rec(3).slice(0, 10)}`);
    const c = new LogCursor(f);
    expect(await all(c)).toEqual(['l1', 'l2']);
    await writeFile(f, `${rec(1)}\nnot json\n${rec(2)}\n${rec(3)}\n`);
    expect(await all(c)).toEqual(['l3']);
  });

  it('--tail reads from the end, across blocks, with --since', async () => {
    const lines = Array.from({ length: 60 }, (_, i) => rec(i, `${i}:${'z'.repeat(3000)}`));
    const f = await logFile('tail', lines.join('\n') + '\n' + '{"unfinished');
    const tail = await readLogTail(f, 25);
    expect(tail.lines.map(l => l.l.split(':')[0])).toEqual(Array.from({ length: 25 }, (_, i) => String(35 + i)));
    expect(tail.next).toBe(Buffer.byteLength(lines.join('\n') + '\n'));
    expect((await readLogTail(f, 1000)).lines).toHaveLength(60);
    expect((await readLogTail(f, 0)).lines).toEqual([]);
    const since = await readLogTail(f, 1000, new Date(Date.UTC(2026, 0, 1, 0, 0, 57)));
    expect(since.lines.map(l => l.l.split(':')[0])).toEqual(['57', '58', '59']);
    expect((await readLogTail(path.join(dir, 'none'), 3)).lines).toEqual([]);
  });

  it('skips a record too long to hold, forwards and backwards', async () => {
    const f = await logFile('huge', `${rec(1)}\n${'x'.repeat(MAX_RECORD + 10)}\n${rec(2)}\n`);
    expect(await all(new LogCursor(f))).toEqual(['l1', 'l2']);
    expect((await readLogTail(f, 5)).lines.map(l => l.l)).toEqual(['l1', 'l2']);
  });
});
