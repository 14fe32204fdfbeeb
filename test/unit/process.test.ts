import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { errorLines, readProcFile, toRackerError } from '../../src/process.js';
import { MMDEBSTRAP_DNS } from '../helpers/tool-output.js';

describe('errorLines', () => {
  it('keeps the first tagged error lines and the last line, so the cause is shown', () => {
    expect(errorLines(MMDEBSTRAP_DNS)).toEqual([
      "E: Failed to fetch http://archive.debian.org/debian/dists/stretch/InRelease Temporary failure resolving 'archive.debian.org'",
      'E: Some index files failed to download. They have been ignored, or old ones used instead.',
      'E: apt-get update --error-on=any -oAPT::Status-Fd=<$fd> -oDpkg::Use-Pty=false failed',
      'E: mmdebstrap failed to run',
    ]);
  });

  it('finds a tagged line above a usage text and leaves the usage out', () => {
    const usage = Array.from({ length: 300 }, (_, i) => `    --option-${i}  Errors will print a backtrace; failed runs exit non-zero`).join('\n');
    const lines = errorLines(`E: keyring "/usr/share/keyrings/ubuntu-archive-keyring.gpg" does not exist\nUsage:\n${usage}\n    last usage line`);
    expect(lines).toEqual(['E: keyring "/usr/share/keyrings/ubuntu-archive-keyring.gpg" does not exist', 'last usage line']);
  });

  it('falls back to error-sounding lines, then to the last line alone', () => {
    expect(errorLines('starting\ncould not open /x: permission denied\nstill going\nbye')).toEqual(['could not open /x: permission denied', 'bye']);
    expect(errorLines('just one line\n')).toEqual(['just one line']);
    expect(errorLines('\n  \n')).toEqual([]);
  });

  it('caps the number of lines and their width, and drops repeats', () => {
    const many = Array.from({ length: 20 }, (_, i) => `E: problem ${i}`).join('\n');
    expect(errorLines(many)).toEqual(['E: problem 0', 'E: problem 1', 'E: problem 2', 'E: problem 3', 'E: problem 19']);
    expect(errorLines(`E: ${'x'.repeat(1000)}\nend`)[0]).toHaveLength(301);
    expect(errorLines('E: same\nE: same\nE: same\nend')).toEqual(['E: same', 'end']);
  });

  it('cleans control bytes: no terminal escapes, carriage returns or bidi overrides get through', () => {
    const hostile = 'E: evil \u001b]0;owned\u0007title\u001b[2J\u001b[31mred\u001b[0m\u0000nul\rE: back\u202eevil\nlast\u0007';
    const lines = errorLines(hostile);
    expect(lines.join('\n')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(lines).toEqual(['E: evil titlered nul', 'E: back evil', 'last']);
  });
});

describe('toRackerError', () => {
  it('puts the cause on the first line and the other error lines below it', () => {
    const e = toRackerError('mmdebstrap', { command: 'mmdebstrap stretch', exitCode: 25, stderr: MMDEBSTRAP_DNS }, 'build stretch from http://archive.debian.org/debian');
    const [first, ...rest] = e.message.split('\n');
    expect(first).toBe("build stretch from http://archive.debian.org/debian: mmdebstrap returned exit code 25: E: Failed to fetch http://archive.debian.org/debian/dists/stretch/InRelease Temporary failure resolving 'archive.debian.org'");
    expect(rest.at(-1)).toBe('  E: mmdebstrap failed to run');
    expect(rest).toHaveLength(3);
    expect(e.exitCode).toBe(125);
  });

  it('stays one line for a one-line complaint, cleaned of terminal escapes (skopeo)', () => {
    const e = toRackerError('skopeo', { exitCode: 1, stderr: 'time="x" level=fatal msg="no such \u001b[2Jimage"\n' });
    expect(e.message).toBe('skopeo returned exit code 1: time="x" level=fatal msg="no such image"');
  });
});

describe('readProcFile', () => {
  it('reads a /proc file the kernel hands out a page per read to its end (Node 18 stopped after the first page)', async () => {
    // /proc/kallsyms: megabytes on every kernel, and it does not change while the test reads it
    const whole = readFileSync('/proc/kallsyms', 'utf8');
    expect(whole.length).toBeGreaterThan(64 * 1024);
    expect(await readProcFile('/proc/kallsyms')).toBe(whole);
  });
});

describe('runAllowFail with maxOutput', () => {
  it('keeps only the first bytes of a long output and still reads it to the end', async () => {
    const { runAllowFail } = await import('../../src/process.js');
    const r = await runAllowFail('sh', ['-c', 'head -c 3000000 /dev/zero | tr "\\0" y; echo done >&2; exit 3'], { all: true, maxOutput: 4096, stripFinalNewline: false });
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toBe('y'.repeat(4096));
    expect(r.stderr).toBe('done\n');
    expect(r.all!.length).toBe(4096);
  });
});
