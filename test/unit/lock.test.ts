import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { acquireLock, withLock, holderAlive } from '../../src/lock.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'racker-unit-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('locks', () => {
  it('serialises holders', async () => {
    const file = path.join(dir, 'x.lock');
    const order: string[] = [];
    await Promise.all([1, 2, 3].map(i => withLock(file, async () => {
      order.push(`in${i}`);
      await new Promise(r => setTimeout(r, 20));
      order.push(`out${i}`);
    })));
    for (let i = 0; i < order.length; i += 2) expect(order[i + 1]).toBe(order[i].replace('in', 'out'));
  });

  it('breaks a lock whose holder is dead', async () => {
    const file = path.join(dir, 'stale.lock');
    await writeFile(file, '999999 12345');
    expect(await holderAlive('999999 12345')).toBe(false);
    const release = await acquireLock(file, { timeoutMs: 2000 });
    expect((await readFile(file, 'utf8')).split(' ')[0]).toBe(String(process.pid));
    await release();
  });

  it('a pid reused by another process does not hold the lock', async () => {
    expect(await holderAlive(`${process.pid} 1`)).toBe(false);
  });
});
