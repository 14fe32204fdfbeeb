import { describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { summarize, toJunit, type ImageReport } from '../../../../src/postroj/pkgprobe/report.js';

describe('reports', () => {
  const image = (name: string, statuses: ('passed' | 'failed' | 'skipped')[]): ImageReport => ({
    image: name, os: 'Debian <12> & "co"', container: 'postroj-x', kept: false,
    status: statuses.includes('failed') ? 'failed' : 'passed', durationMs: 1500,
    checks: statuses.map((s, i) => ({ name: `check <${i}> & "q"`, kind: 'unit', status: s, durationMs: 250, detail: `detail ${i}`, output: s === 'failed' ? 'journal: <tag> & \u0001bell\nline 2' : undefined })),
  });

  it('counts per check and fails when any image failed', () => {
    const r = summarize([image('a', ['passed', 'failed']), image('b', ['passed', 'skipped'])], new Date());
    expect(r.status).toBe('failed');
    expect(r.summary).toEqual({ images: 2, passed: 2, failed: 1, skipped: 1 });
    expect(summarize([image('a', ['passed'])], new Date()).status).toBe('passed');
  });

  it('writes JUnit XML that parses back to the same results, whatever the text holds', () => {
    const xml = toJunit(summarize([image('debian & <co>', ['passed', 'failed', 'skipped'])], new Date()));
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    expect(doc.testsuites).toMatchObject({ tests: '3', failures: '1', skipped: '1', errors: '0' });
    const suite = doc.testsuites.testsuite;
    expect(suite.name).toBe('debian & <co>');
    expect(suite.properties.property).toContainEqual({ name: 'os', value: 'Debian <12> & "co"' });
    const [ok, failed, skipped] = suite.testcase;
    expect(ok).toMatchObject({ name: 'check <0> & "q"', time: '0.250' });
    expect(ok.failure).toBeUndefined();
    expect(failed.failure).toMatchObject({ message: 'detail 1', type: 'unit' });
    // the control character is replaced, everything else survives
    expect(failed.failure['#text']).toBe('journal: <tag> & \uFFFDbell\nline 2');
    expect(skipped.skipped).toEqual({ message: 'detail 2' });
  });
});
