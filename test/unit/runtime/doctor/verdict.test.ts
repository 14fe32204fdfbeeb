import { describe, expect, it } from 'vitest';
import { overall, runChecks, type Verdict } from '../../../../src/runtime/doctor/verdict.js';

describe('doctor: running the checks', () => {
  const v = (status: Verdict['status']): Verdict => ({ name: status, status, detail: '' });
  it('fail beats warn beats ok', () => {
    expect(overall([v('ok'), v('ok')])).toBe('ok');
    expect(overall([v('ok'), v('warn')])).toBe('warn');
    expect(overall([v('warn'), v('fail'), v('ok')])).toBe('fail');
    expect(overall([])).toBe('ok');
  });
  it('runs checks concurrently, keeps their order, turns a hang or a throw into a warning', async () => {
    const started = Date.now();
    const verdicts = await runChecks([
      { name: 'slow-ok', run: () => new Promise(r => setTimeout(() => r({ name: 'slow-ok', status: 'ok', detail: 'fine' }), 150)) },
      { name: 'hangs', run: () => new Promise(() => undefined) },
      { name: 'throws', run: () => Promise.reject(new Error('boom')) },
      { name: 'also-slow', run: () => new Promise(r => setTimeout(() => r({ name: 'also-slow', status: 'ok', detail: 'fine' }), 150)) },
    ], 300);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(verdicts.map(x => [x.name, x.status])).toEqual([['slow-ok', 'ok'], ['hangs', 'warn'], ['throws', 'warn'], ['also-slow', 'ok']]);
    expect(verdicts[1].detail).toContain('no answer within 300 ms');
    expect(verdicts[2].detail).toContain('boom');
  });
  it('waits for a check that cleans up after itself instead of abandoning it', async () => {
    let cleaned = false;
    const [verdict] = await runChecks([{
      name: 'probe', ownTimeouts: true,
      run: () => new Promise(r => setTimeout(() => { cleaned = true; r({ name: 'probe', status: 'ok', detail: 'done' }); }, 200)),
    }], 50);
    expect(verdict.status).toBe('ok');
    expect(cleaned).toBe(true);
  });
});
