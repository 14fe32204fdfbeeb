import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { racker, tempRoot, uniqueName } from '../helpers/cli.js';

/**
 * What racker prints from user or image text stays what it claims to be:
 * {{json}} is JSON as docker's Go template prints it, and a name with a
 * newline never reaches the terminal raw.
 */
const BUSYBOX = `${inject('registry')}/fixtures/busybox:latest`;
let t: Awaited<ReturnType<typeof tempRoot>>;
const names: string[] = [];
const rk = (args: string[]) => racker(t.root, args);

beforeAll(async () => {
  t = await tempRoot('format-output');
  expect((await rk(['pull', '-q', '--tls-verify=false', BUSYBOX])).exitCode).toBe(0);
});
afterAll(async () => {
  if (names.length) await rk(['rm', '-f', ...names]);
  await t.remove();
});

/** docker's `json` template function: Go's encoding/json, map keys sorted, <, >, & escaped */
function goJson(map: Record<string, string>): string {
  const sorted = Object.fromEntries(Object.keys(map).sort().map(k => [k, map[k]]));
  return JSON.stringify(sorted).replace(/[<>&\u2028\u2029]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

describe('inspect -f {{json}}', () => {
  it('labels with a newline, quote, backslash, < and & give valid JSON, as docker prints it', async () => {
    const n = uniqueName('labels');
    names.push(n);
    const labels = { 'a.multi': 'line one\nline two', 'b.quote': 'say "hi"', 'c.slash': 'C:\\dir\\', 'd.html': '<b>&amp;</b>' };
    const r = await rk(['run', '--name', n, ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]), BUSYBOX, 'true']);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = await rk(['inspect', '-f', '{{json .Config.Labels}}', n]);
    expect(out.exitCode, out.stderr).toBe(0);
    expect(out.stdout.split('\n')).toHaveLength(1);
    expect(JSON.parse(out.stdout)).toEqual(labels);
    expect(out.stdout).toBe(goJson(labels));
  });
});

describe('network create', () => {
  it('a name with a newline is refused by docker\'s name rule, and shown escaped', async () => {
    const r = await rk(['network', 'create', `${uniqueName('net')}\nINJECTED\u001b[2J`]);
    expect(r.exitCode).toBe(125);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^racker: invalid network name '.*\\x0aINJECTED\\x1b\[2J'$/);
    expect(lines[1]).toMatch(/^hint: /);
  });
});
