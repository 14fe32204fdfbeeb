import { afterEach, describe, expect, it, vi } from 'vitest';
import { RackerError } from '../../../src/errors.js';
import { eachName } from '../../../src/cli/each.js';

describe('eachName', () => {
  const exitCode = process.exitCode;
  afterEach(() => {
    process.exitCode = exitCode;
    vi.restoreAllMocks();
  });
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { out.push(String(chunk)); return true; });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { err.push(String(chunk)); return true; });
    return { out, err };
  };
  const failing = (bad: string[]) => async (name: string) => {
    if (bad.includes(name)) throw new RackerError(`No such container: ${name}`, { exitCode: 127 });
  };

  it('one name: its error is thrown as it is, nothing printed', async () => {
    const { out, err } = capture();
    const thrown = await eachName(['gone'], failing(['gone']), { echo: true }).then(() => undefined, (e: unknown) => e);
    expect(thrown).toBeInstanceOf(RackerError);
    expect((thrown as RackerError).message).toBe('No such container: gone');
    expect((thrown as RackerError).exitCode).toBe(127);
    expect(out).toEqual([]);
    expect(err).toEqual([]);
    expect(process.exitCode).toBe(exitCode);
  });

  it('several names: each is done, a failure is reported on stderr, and the exit code is 1', async () => {
    const { out, err } = capture();
    const done: string[] = [];
    await eachName(['a', 'gone', 'b', 'also\u001b[2Jgone'], async n => { await failing(['gone', 'also\u001b[2Jgone'])(n); done.push(n); }, { echo: true });
    expect(done).toEqual(['a', 'b']);
    expect(out).toEqual(['a\n', 'b\n']);
    expect(err).toEqual(['racker: No such container: gone\n', 'racker: No such container: also\\x1b[2Jgone\n']);
    expect(process.exitCode).toBe(1);
  });

  it('several names that all succeed leave the exit code alone; without echo nothing is printed', async () => {
    const { out, err } = capture();
    await eachName(['a', 'b'], failing([]));
    expect(out).toEqual([]);
    expect(err).toEqual([]);
    expect(process.exitCode).toBe(exitCode);
  });
});
