import { describe, expect, it } from 'vitest';
import { printable, printableJson, shown, someOf } from '../../src/untrusted.js';
import { parseManifestDocument, selectPlatform } from '../../src/image/oci-layout-fetcher.js';
import { decompressStream } from '../../src/store/unpack/decompress.js';
import { formatTable } from '../../src/cli/table.js';
import { renderTemplate } from '../../src/cli/go-template.js';
import { RackerError } from '../../src/errors.js';
import type { Descriptor } from '../../src/image/oci.js';

const TITLE = '\x1b]0;pwned\x07';
const CLEAR = '\x1b[2J';
/** every byte a terminal may act on: C0, DEL, C1 */
const RAW_CONTROL = /[\x00-\x1f\x7f-\x9f]/;
/** the same, for output that is several lines */
const BUT_NEWLINE = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

function thrown(fn: () => unknown): RackerError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RackerError);
    return err as RackerError;
  }
  throw new Error('expected a RackerError');
}

const desc = (platform: Descriptor['platform'], i = 0): Descriptor =>
  ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${i.toString(16).padStart(64, '0')}`, size: 1, platform });

describe('shown', () => {
  it('escapes C0, DEL and C1 controls as \\xHH', () => {
    expect(shown(`a${TITLE}b${CLEAR}\n\t\x7f\x9bc`)).toBe('a\\x1b]0;pwned\\x07b\\x1b[2J\\x0a\\x09\\x7f\\x9bc');
    expect(shown('plain linux/amd64')).toBe('plain linux/amd64');
    expect(shown('é ü 日本')).toBe('é ü 日本');
  });

  it('cuts long strings, never inside a surrogate pair', () => {
    expect(shown('x'.repeat(5000))).toBe(`${'x'.repeat(200)}…`);
    expect(shown('abcdef', 3)).toBe('abc…');
    expect(shown(`ab${'😀'}`, 3)).toBe('ab…');
    expect(shown('y'.repeat(5000), Infinity)).toHaveLength(5000);
  });

  it('shows a value that is not a string as JSON', () => {
    expect(shown({ a: 1 })).toBe('{"a":1}');
    expect(shown(undefined)).toBe('undefined');
  });
});

describe('printable', () => {
  it('keeps newlines and tabs of a multi-line message, escapes the rest', () => {
    expect(printable(`line 1\n\tline 2${CLEAR}\r`)).toBe('line 1\n\tline 2\\x1b[2J\\x0d');
  });
});

describe('printableJson', () => {
  it('escapes DEL and C1, which JSON.stringify leaves raw, and stays the same JSON', () => {
    const value = { label: `a\x7fb\x9b31mc${TITLE}`, list: ['\x85'] };
    expect(JSON.stringify(value)).toMatch(/[\x7f-\x9f]/);
    const text = printableJson(value, 2);
    expect(text).not.toMatch(BUT_NEWLINE);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('someOf', () => {
  it('names five and counts the rest', () => {
    expect(someOf(['a', 'b'])).toBe('a, b');
    expect(someOf(Array.from({ length: 1000 }, (_, i) => `p${i}`))).toBe('p0, p1, p2, p3, p4 ... and 995 more');
  });
});

describe('registry strings in messages', () => {
  it('an index with hostile platform names: the error shows them escaped', () => {
    const err = thrown(() => selectPlatform([desc({ os: `linux${TITLE}`, architecture: `arm${CLEAR}` })], { os: 'linux', architecture: 'amd64' }, 'test'));
    expect(err.message).not.toMatch(RAW_CONTROL);
    expect(err.message).toContain('linux\\x1b]0;pwned\\x07/arm\\x1b[2J');
  });

  it('an index with 1,000 platforms names a few and the count', () => {
    const manifests = Array.from({ length: 1000 }, (_, i) => desc({ os: 'linux', architecture: `arch${i}` }, i));
    const err = thrown(() => selectPlatform(manifests, { os: 'linux', architecture: 'amd64' }, 'test'));
    expect(err.message).toMatch(/available: linux\/arch0, linux\/arch1, linux\/arch2, linux\/arch3, linux\/arch4 \.\.\. and 995 more$/);
    expect(err.message.length).toBeLessThan(300);
  });

  it('an unknown manifest media type is shown escaped and cut', () => {
    const doc = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: `application/x${TITLE}${'z'.repeat(10_000)}` }));
    const err = thrown(() => parseManifestDocument(doc, 'test'));
    expect(err.message).not.toMatch(RAW_CONTROL);
    expect(err.message).toContain('application/x\\x1b]0;pwned\\x07');
    expect(err.message.length).toBeLessThan(400);
  });

  it('an unknown layer media type is shown escaped', () => {
    const err = thrown(() => decompressStream(`application/x${CLEAR}`));
    expect(err.message).toBe('unsupported layer media type application/x\\x1b[2J');
  });
});

describe('tables and templates', () => {
  it('formatTable escapes image-provided cells (a ps COMMAND from an Entrypoint)', () => {
    const out = formatTable(['IMAGE', 'COMMAND'], [['busybox', `"/bin/echo ${TITLE}"`]]);
    expect(out).not.toMatch(BUT_NEWLINE);
    expect(out).toContain('"/bin/echo \\x1b]0;pwned\\x07"');
  });

  it('renderTemplate escapes values, not the template', () => {
    const data = { Config: { Labels: { a: `x${CLEAR}` }, Cmd: [`sh${TITLE}`], User: '\x9b1m' } };
    const out = renderTemplate('{{.Config.Labels}}\\n{{.Config.Cmd}} {{.Config.User}} {{json .Config}}', data);
    expect(out.split('\n')).toHaveLength(2);
    expect(out).not.toMatch(BUT_NEWLINE);
    expect(out).toContain('map[a:x\\x1b[2J]');
    expect(out).toContain('[sh\\x1b]0;pwned\\x07] \\x9b1m');
  });
});

describe('bidi overrides', () => {
  it('are escaped like control characters, so a name reads as it is', () => {
    expect(shown('evil\u202egpj.exe')).toBe('evil\\u202egpj.exe');
    expect(printable('a\u2066b\nc')).toBe('a\\u2066b\nc');
  });
});
