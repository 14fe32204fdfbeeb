import { cp, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RACKER, REPO, tempRoot } from '../helpers/cli.js';

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
    // the module entry bin/racker starts when there is no snapshot (a snapshot loaded its modules when it was made)
    const r = await execa(process.execPath, ['--import', pathToFileURL(path.join(dir, 'loaded.mjs')).href, path.join(REPO, 'dist/cli/racker/main.js'), ...args], {
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

// bin/racker starts node from the V8 start-up snapshot `npm run build` made
// (scripts/snapshot.mjs) only when it was made by the node it finds and no
// NODE_OPTIONS are set; otherwise from the module entry. `sh -x` shows which.
describe('bin/racker: the start-up snapshot or the module entry', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(path.join(tmpdir(), 'racker-test-launcher-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  async function start(bin: string, args: string[], env: Record<string, string> = {}) {
    const r = await execa('sh', ['-x', bin, ...args], { reject: false, stdin: 'ignore', env: { NODE_OPTIONS: '', ...env } });
    const exec = r.stderr.split('\n').filter(l => l.startsWith('+ exec '));
    return { ...r, stderr: r.stderr.split('\n').filter(l => !l.startsWith('+')).join('\n'), from: exec.length === 1 ? (exec[0].includes('--snapshot-blob') ? 'snapshot' : 'modules') : `? ${exec.join(' | ')}` };
  }
  /** A copy of bin/ and dist/ whose snapshot can be spoilt. */
  async function copy(name: string): Promise<string> {
    const at = path.join(dir, name);
    await cp(path.join(REPO, 'bin'), path.join(at, 'bin'), { recursive: true });
    await cp(path.join(REPO, 'dist'), path.join(at, 'dist'), { recursive: true });
    await cp(path.join(REPO, 'package.json'), path.join(at, 'package.json'));
    return path.join(at, 'bin', 'racker');
  }

  it('the build made a snapshot for this node, and racker starts from it, also through a symlink', async () => {
    // Debian 12's node 18 may be unable to make one: it then starts from the modules (the next tests)
    if (Number(process.versions.node.split('.')[0]) < 20) return;
    const r = await start(RACKER, ['--version']);
    expect(r.from).toBe('snapshot');
    expect(r.stdout).toBe((JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version);
    await symlink(RACKER, path.join(dir, 'racker'));
    const linked = await start(path.join(dir, 'racker'), ['ps', '--no-such-flag']);
    expect(linked.from).toBe('snapshot');
    expect([linked.exitCode, linked.stderr]).toEqual([125, "racker: unknown option '--no-such-flag'"]);
  });

  it('a node other than the one that made the snapshot, or NODE_OPTIONS, start from the modules and never read the snapshot', async () => {
    const bin = await copy('other-node');
    const snap = path.join(path.dirname(bin), '../dist/snapshot');
    // another node binary: another modification time than the stamp's
    await utimes(path.join(snap, 'node'), new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
    // a snapshot node would crash on
    await writeFile(path.join(snap, 'racker.blob'), 'not a snapshot');
    const r = await start(bin, ['--version']);
    expect([r.from, r.exitCode]).toEqual(['modules', 0]);
    const withOptions = await start(RACKER, ['ps', '--no-such-flag'], { NODE_OPTIONS: '--max-old-space-size=256' });
    expect([withOptions.from, withOptions.exitCode, withOptions.stderr]).toEqual(['modules', 125, "racker: unknown option '--no-such-flag'"]);
  });

  it('node does not read NODE_EXTRA_CA_CERTS at start (racker reads it on its first HTTPS request)', async () => {
    // node warns at start about a file it cannot load; racker's start never opens it
    const r = await execa(RACKER, ['--version'], { reject: false, stdin: 'ignore', env: { NODE_EXTRA_CA_CERTS: path.join(dir, 'no-such-ca.pem') } });
    expect([r.exitCode, r.stderr]).toEqual([0, '']);
    const direct = await execa(process.execPath, ['-e', '0'], { reject: false, stdin: 'ignore', env: { NODE_EXTRA_CA_CERTS: path.join(dir, 'no-such-ca.pem') } });
    expect(direct.stderr).toMatch(/extra certs/i);
  });

  it('colours follow the terminal and FORCE_COLOR on both starts, not the build', async () => {
    const bin = await copy('no-snapshot');
    await rm(path.join(path.dirname(bin), '../dist/snapshot'), { recursive: true });
    for (const b of [RACKER, bin]) {
      const plain = await start(b, ['no-such-verb']);
      expect([plain.exitCode, plain.stderr]).toEqual([125, "racker: unknown command 'no-such-verb'"]);
      const red = await start(b, ['no-such-verb'], { FORCE_COLOR: '1' });
      expect(red.stderr).toMatch(/^\x1b\[31mracker: unknown command 'no-such-verb'/);
    }
  });
});
