import { describe, expect, it } from 'vitest';
import { interpolate, InterpolationError, MAX_NESTING } from '../../../src/compose/interpolate.js';
import { load, loadError } from './helpers.js';

const env: Record<string, string> = { SET: 'value', EMPTY: '', OTHER: 'other' };
const look = (n: string) => env[n];
const run = (s: string) => interpolate(s, look);

describe('interpolation', () => {
  it('plain and braced variables', () => {
    expect(run('a $SET b ${SET}c')).toBe('a value b valuec');
    expect(run('$SET_x')).toBe('');
    expect(run('${SET}_x')).toBe('value_x');
  });

  it('unset variables become blank, and are reported', () => {
    const missing: string[] = [];
    expect(interpolate('[${NOPE}][$NOPE2]', look, n => missing.push(n))).toBe('[][]');
    expect(missing).toEqual(['NOPE', 'NOPE2']);
  });

  it(':- and - defaults: empty counts as unset only with the colon', () => {
    expect(run('${SET:-d}')).toBe('value');
    expect(run('${EMPTY:-d}')).toBe('d');
    expect(run('${NOPE:-d}')).toBe('d');
    expect(run('${EMPTY-d}')).toBe('');
    expect(run('${NOPE-d}')).toBe('d');
    expect(run('${NOPE:-}')).toBe('');
    expect(run('${NOPE:-a b:c}')).toBe('a b:c');
  });

  it(':+ and + alternatives', () => {
    expect(run('${SET:+alt}')).toBe('alt');
    expect(run('${EMPTY:+alt}')).toBe('');
    expect(run('${EMPTY+alt}')).toBe('alt');
    expect(run('${NOPE+alt}')).toBe('');
  });

  it(':? and ? are errors with the message', () => {
    expect(run('${SET:?need it}')).toBe('value');
    expect(() => run('${EMPTY:?need it}')).toThrow(/required variable EMPTY is missing a value: need it/);
    expect(run('${EMPTY?need it}')).toBe('');
    expect(() => run('${NOPE?gone}')).toThrow(/required variable NOPE is missing a value: gone/);
    expect(() => run('${NOPE:?}')).toThrow(/^required variable NOPE is missing a value$/);
  });

  it('nested defaults', () => {
    expect(run('${NOPE:-${OTHER}}')).toBe('other');
    expect(run('${NOPE:-${NOPE2:-deep}}')).toBe('deep');
    expect(run('${NOPE:-x${SET}y}')).toBe('xvaluey');
    expect(run('${SET:+[${OTHER:-z}]}')).toBe('[other]');
  });

  it('$$ is a literal dollar, never interpolated', () => {
    expect(run('$$SET')).toBe('$SET');
    expect(run('$${SET}')).toBe('${SET}');
    expect(run('cost: $$5')).toBe('cost: $5');
    expect(run('${NOPE:-$$}')).toBe('$');
  });

  it('bad syntax is an error', () => {
    expect(() => run('a $ b')).toThrow(InterpolationError);
    expect(() => run('$1')).toThrow(/write \$\$ for a literal \$/);
    expect(() => run('${SET')).toThrow(/without its closing/);
    expect(() => run('${}')).toThrow(/variable name/);
    expect(() => run('${SET:x}')).toThrow(/after the name/);
  });
});

describe('interpolation in a compose file', () => {
  it('applies to values, not keys, and warns once per unset variable', () => {
    const { project } = load({
      'compose.yaml': 'services:\n  web:\n    image: "nginx:${TAG:-1.25}"\n    environment:\n      $KEY: "${UNSET}"\n      B: "${UNSET}$$HOME"\n',
    }, { env: { KEY: 'nope' } });
    expect(project.services.web.image).toBe('nginx:1.25');
    expect(project.services.web.environment).toEqual({ $KEY: '', B: '$HOME' });
    expect(project.warnings.filter(w => w.includes('"UNSET" variable is not set'))).toHaveLength(1);
  });

  it('an error names the file and the key path', () => {
    const msg = loadError({ 'compose.yaml': 'services:\n  db:\n    image: postgres\n    environment:\n      - "PW=${DB_PASSWORD:?set a password}"\n' });
    expect(msg).toMatch(/compose\.yaml: services\.db\.environment\[0\]: required variable DB_PASSWORD is missing a value: set a password/);
  });
});

describe('interpolation nesting', () => {
  it('nests as deep as MAX_NESTING, refuses deeper without overflowing the stack', () => {
    const nest = (n: number) => '${NOPE:-'.repeat(n) + 'x' + '}'.repeat(n);
    expect(run(nest(MAX_NESTING))).toBe('x');
    expect(() => run(nest(MAX_NESTING + 1))).toThrow(InterpolationError);
    expect(() => run(nest(30_000))).toThrow(/nested more than 100 deep/);
    // a set variable never looks at its default
    expect(run('${SET:-' + nest(30_000) + '}')).toBe('value');
  });

  it('a bad value is shown escaped and cut in the message', () => {
    expect(() => run(`\${SET\n${'y'.repeat(500)}}`)).toThrow(/^invalid interpolation '\$\{SET\\x0ay+…': after the name/);
  });
});
