import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { RACKER, racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { underTerminal } from '../helpers/terminal.js';
import { busyboxLayer } from '../helpers/fixture-images.js';
import { writeOciLayout } from '../helpers/oci-layout.js';
import { pushLayout } from '../helpers/registry.js';
import { buildLayer, type BuiltLayer } from '../helpers/tar-builder.js';
import { humanSize } from '../../src/cli/progress.js';

/** racker image prune, system df and system prune: numbers checked against what the test made; in-use things stay. */
const reg = inject('registry');
let t: Awaited<ReturnType<typeof tempRoot>>;
let files: Awaited<ReturnType<typeof tempRoot>>;
const rk = (args: string[], opts = {}) => racker(t.root, args, opts);
const lines = (s: string) => s.split('\n').filter(Boolean);
const tag = uniqueName('prune');
const base = busyboxLayer();
const extra = (label: string) => buildLayer([{ type: 'dir', name: 'own/' }, { type: 'file', name: `own/${label}.txt`, body: `${label}\n`.repeat(500) }]);
const containers: string[] = [];
const networks: string[] = [];

/** Push an image of `layers` as REG/prune-…/NAME:1 and pull it; its id. */
async function image(name: string, layers: BuiltLayer[], labels: Record<string, string> = {}): Promise<string> {
  const dir = path.join(files.root, uniqueName(name));
  await writeOciLayout(dir, { layers, config: { Cmd: ['sh'], Labels: labels }, tag: '1' });
  await pushLayout({ host: reg }, dir, '1', `${tag}/${name}:1`);
  const r = await rk(['pull', '-q', '--tls-verify=false', `${reg}/${tag}/${name}:1`]);
  expect(r).toMatchObject({ exitCode: 0 });
  return r.stdout.trim();
}

async function ids(): Promise<string[]> {
  return lines((await rk(['images', '-q', '--no-trunc'])).stdout);
}

beforeAll(async () => {
  t = await tempRoot('prune');
  files = await tempRoot('prune-files');
});
afterAll(async () => {
  for (const c of containers) await rk(['rm', '-f', c]);
  for (const n of networks) await rk(['network', 'rm', n]);
  await t.remove();
  await files.remove();
});

describe('racker image prune', () => {
  it('removes dangling images only; with -a every image no container uses; filters by label and until', async () => {
    const l1 = extra('one');
    const old = await image('app', [base, l1]);
    // the same name now points at another image: the first is dangling
    const current = await image('app', [base, extra('two')]);
    const labelled = await image('labelled', [base, extra('three')], { sweep: 'yes' });
    const used = await image('used', [base, extra('four')]);
    const c = uniqueName('prune-user');
    containers.push(c);
    expect((await rk(['run', '--name', c, `${reg}/${tag}/used:1`, 'true'])).exitCode).toBe(0);

    const refused = await rk(['image', 'prune']);
    expect(refused.exitCode).toBe(125);
    expect(lines(refused.stderr)[0]).toMatch(/not a terminal/);
    expect(await ids()).toContain(old);

    // on a terminal it asks; no answer is no
    const asked = await underTerminal(`${RACKER} --root ${t.root} image prune`);
    expect(asked.output).toContain('WARNING! This will remove all dangling images.');
    expect(asked.output).toContain('Are you sure you want to continue? [y/N]');
    expect(await ids()).toContain(old);

    const history = await rk(['image', 'history', old]);
    expect(lines(history.stdout)[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    expect(lines(history.stdout).slice(1).map(l => l.split(/\s{3,}/)[0])).toEqual([old.slice(7, 19), '<missing>']);
    expect(lines(history.stdout)[1]).toContain(humanSize(l1.tar.length));
    expect(lines((await rk(['image', 'history', '-q', '--no-trunc', old])).stdout)).toEqual([old, '<missing>']);

    const dangling = await rk(['image', 'prune', '-f']);
    expect(dangling.exitCode).toBe(0);
    expect(dangling.stdout).toMatch(new RegExp(`^Deleted Images:\\ndeleted: ${old}\\ndeleted: sha256:[0-9a-f]{64}\\n\\nTotal reclaimed space: ${humanSize(l1.tar.length)}$`));
    expect((await ids()).sort()).toEqual([current, labelled, used].sort());

    expect((await rk(['image', 'prune', '-a', '-f', '--filter', 'until=2020-01-01T00:00:00Z'])).stdout).toBe('Total reclaimed space: 0B');
    const byLabel = await rk(['image', 'prune', '-a', '-f', '--filter', 'label=sweep=yes']);
    expect(byLabel.stdout).toContain(`untagged: ${reg}/${tag}/labelled:1\ndeleted: ${labelled}\n`);
    expect((await ids()).sort()).toEqual([current, used].sort());

    const all = await rk(['image', 'prune', '-a', '-f']);
    expect(all.stdout).toContain(`deleted: ${current}\n`);
    // the stopped container's image and the layers under it stay
    expect(await ids()).toEqual([used]);
    expect((await rk(['run', '--rm', `${reg}/${tag}/used:1`, 'cat', '/own/four.txt'])).exitCode).toBe(0);

    const bad = await rk(['image', 'prune', '-f', '--filter', 'dangling=maybe']);
    expect(bad.exitCode).toBe(125);
    expect(lines(bad.stderr)[0]).toMatch(/invalid filter/);
  }, 300_000);
});

describe('racker system df and system prune', () => {
  it('df counts images (shared layers once), containers and volumes as the test made them', async () => {
    await rk(['rm', '-f', ...containers]);
    expect((await rk(['image', 'prune', '-a', '-f'])).exitCode).toBe(0);
    expect(await ids()).toEqual([]);
    const app = extra('df');
    await image('df-base', [base]);
    await image('df-app', [base, app]);
    const vol = uniqueName('df-vol');
    const c = uniqueName('df-user');
    containers.push(c);
    const r = await rk(['run', '--name', c, '-v', `${vol}:/data`, `${reg}/${tag}/df-app:1`, 'sh', '-c', 'head -c 5000 /dev/zero > /data/x']);
    expect(r.exitCode).toBe(0);
    const df = await rk(['system', 'df']);
    expect(df.exitCode).toBe(0);
    const rows = lines(df.stdout).map(l => l.split(/ {3,}/));
    expect(rows[0]).toEqual(['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE']);
    // both images on the base layer: its size counts once; the base image is not used but frees nothing (its layer is under df-app)
    expect(rows[1]).toEqual(['Images', '2', '1', humanSize(base.tar.length + app.tar.length), '0B (0%)']);
    expect(rows[2].slice(0, 3)).toEqual(['Containers', '1', '0']);
    expect(rows[3]).toEqual(['Local Volumes', '1', '1', humanSize(5000), '0B (0%)']);
    expect(rows[4]).toEqual(['Build Cache', '0', '0', '0B', '0B']);
    const verbose = await rk(['system', 'df', '-v']);
    expect(verbose.stdout).toContain('Images space usage:');
    expect(verbose.stdout).toMatch(new RegExp(`^${vol}\\s+1\\s+${humanSize(5000).replace('.', '\\.')}$`, 'm'));
    await rk(['rm', c]);
    await rk(['volume', 'rm', vol]);
  }, 300_000);

  it('system prune removes stopped containers, unused networks, dangling images and (--volumes) unused anonymous volumes; never what is in use', async () => {
    const img = `${reg}/${tag}/sys:1`;
    expect((await rk(['image', 'prune', '-a', '-f'])).exitCode).toBe(0);
    const dangling = await image('sys', [base, extra('sys-old')]);
    await image('sys', [base, extra('sys-new')]);
    const stopped = uniqueName('sys-stopped');
    const kept = uniqueName('sys-labelled');
    const running = uniqueName('sys-running');
    containers.push(stopped, kept, running);
    const unusedNet = uniqueName('sysnet-free');
    const usedNet = uniqueName('sysnet-used');
    networks.push(unusedNet, usedNet);
    for (const n of [unusedNet, usedNet]) expect((await rk(['network', 'create', n])).exitCode).toBe(0);
    const named = uniqueName('sys-named');
    expect((await rk(['volume', 'create', named])).exitCode).toBe(0);
    expect((await rk(['run', '--name', stopped, '-v', '/anon', img, 'true'])).exitCode).toBe(0);
    expect((await rk(['run', '--name', kept, '--label', 'keep=1', img, 'true'])).exitCode).toBe(0);
    expect((await rk(['run', '-d', '--name', running, '--network', usedNet, img, 'sleep', '300'])).exitCode).toBe(0);
    const anon = lines((await rk(['volume', 'ls', '-q'])).stdout).find(v => v !== named)!;

    const warned = await rk(['system', 'prune', '-a', '--volumes']);
    expect(warned.exitCode).toBe(125);
    expect(lines((await rk(['ps', '-a', '-q'])).stdout).length).toBe(3);

    const r = await rk(['system', 'prune', '-f', '--volumes', '--filter', 'label!=keep']);
    expect(r.exitCode).toBe(0);
    const stoppedId = JSON.parse((await rk(['inspect', kept])).stdout)[0].Id as string;
    expect(r.stdout).toMatch(/^Deleted Containers:\n[0-9a-f]{64}\n\nDeleted Networks:\n/);
    expect(r.stdout).toContain(`Deleted Networks:\n${unusedNet}\n\n`);
    expect(r.stdout).toContain(`Deleted Volumes:\n${anon}\n\n`);
    expect(r.stdout).toContain(`Deleted Images:\ndeleted: ${dangling}\n`);
    expect(r.stdout).toMatch(/Total reclaimed space: \S+$/);
    expect(r.stdout).not.toContain(stoppedId);
    // what is in use (or filtered out) stays
    const ps = lines((await rk(['ps', '-a', '--format', '{{.Names}}'])).stdout).sort();
    expect(ps).toEqual([kept, running].sort());
    expect(lines((await rk(['network', 'ls', '-q', '--no-trunc'])).stdout).length).toBeGreaterThan(0);
    expect((await rk(['network', 'inspect', usedNet])).exitCode).toBe(0);
    expect((await rk(['network', 'inspect', unusedNet])).exitCode).not.toBe(0);
    expect(lines((await rk(['volume', 'ls', '-q'])).stdout)).toEqual([named]);
    expect(await ids()).toHaveLength(1);
    expect((await readdir(path.join(t.root, 'layers'))).length).toBe(2);
    await rk(['volume', 'rm', named]);
  }, 300_000);
});
