import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../../../src/cli/go-template.js';
import { BUT_NEWLINE, CLEAR, TITLE } from '../../helpers/untrusted-text.js';

describe('--format templates', () => {
  const data = { State: { Status: 'running', ExitCode: 0 }, Config: { Env: ['A=1', 'B=2'], Labels: { x: 'y' } }, Name: 'web' };
  it('renders fields, arrays, maps and json', () => {
    expect(renderTemplate('{{.State.Status}}', data)).toBe('running');
    expect(renderTemplate('{{ .Name }}: {{.State.ExitCode}}', data)).toBe('web: 0');
    expect(renderTemplate('{{.Config.Env}}', data)).toBe('[A=1 B=2]');
    expect(renderTemplate('{{.Config.Labels}}', data)).toBe('map[x:y]');
    expect(renderTemplate('{{json .State}}', data)).toBe('{"Status":"running","ExitCode":0}');
  });
  it('names a missing field', () => {
    expect(() => renderTemplate('{{.State.Nope}}', data)).toThrow(/no field "Nope"/);
  });
});

describe('tables and templates', () => {
  it('renderTemplate escapes values, not the template', () => {
    const data = { Config: { Labels: { a: `x${CLEAR}` }, Cmd: [`sh${TITLE}`], User: '\x9b1m' } };
    const out = renderTemplate('{{.Config.Labels}}\\n{{.Config.Cmd}} {{.Config.User}} {{json .Config}}', data);
    expect(out.split('\n')).toHaveLength(2);
    expect(out).not.toMatch(BUT_NEWLINE);
    expect(out).toContain('map[a:x\\x1b[2J]');
    expect(out).toContain('[sh\\x1b]0;pwned\\x07] \\x9b1m');
  });
});

describe('{{json}} as Go renders it', () => {
  it('stays valid JSON when a value holds a newline, quote or backslash; escapes <, >, & as Go does', () => {
    const labels = { a: 'line1\nline2', b: 'say "hi" \\ <b>&amp;</b>', c: '\u2028' };
    const out = renderTemplate('{{json .Config.Labels}}\\n', { Config: { Labels: labels } });
    expect(out).toBe('{"a":"line1\\nline2","b":"say \\"hi\\" \\\\ \\u003cb\\u003e\\u0026amp;\\u003c/b\\u003e","c":"\\u2028"}\n');
    expect(JSON.parse(out)).toEqual(labels);
  });
});
