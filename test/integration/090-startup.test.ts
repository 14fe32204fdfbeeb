import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RACKER, tempRoot } from '../helpers/cli.js';

// What the built CLI loads on a start that needs no network, hashing or
// unpacking (speed is measured by `npm run bench`, never here): the pull
// pipeline and node's crypto, http(s), tls and zlib stay unloaded.
const NOT_ON_START = ['crypto', 'http', 'https', 'tls', 'zlib'];

describe('racker start-up (the built CLI)', () => {
  let dir: string;
  let store: { root: string; remove(): Promise<void> };
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'racker-test-startup-'));
    store = await tempRoot('startup');
    await writeFile(path.join(dir, 'loaded.mjs'), [
      "import { writeFileSync } from 'node:fs';",
      "process.on('exit', () => writeFileSync(process.env.RACKER_TEST_LOADED, process.moduleLoadList.join('\\n')));",
      '',
    ].join('\n'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await store?.remove();
  });

  async function builtinsLoadedBy(args: string[]): Promise<string[]> {
    const out = path.join(dir, `loaded-${args[0].replace(/\W/g, '')}.txt`);
    const r = await execa(process.execPath, ['--import', pathToFileURL(path.join(dir, 'loaded.mjs')).href, RACKER, ...args], {
      reject: false, stdin: 'ignore', env: { RACKER_TEST_LOADED: out },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    return (await readFile(out, 'utf8')).split('\n').filter(l => l.startsWith('NativeModule ')).map(l => l.slice('NativeModule '.length));
  }

  it.each(['--version', 'ps -a', 'images'])(`racker %s loads none of ${NOT_ON_START.join(', ')}`, async (command) => {
    const argv = command === '--version' ? ['--version'] : ['--root', store.root, ...command.split(' ')];
    const loaded = await builtinsLoadedBy(argv);
    expect(loaded).toContain('fs');
    expect(loaded.filter(m => NOT_ON_START.includes(m))).toEqual([]);
  });
});
