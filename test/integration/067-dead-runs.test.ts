import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { RACKER, racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { writeOciLayout } from '../helpers/oci-layout.js';
import { busyboxLayer } from '../helpers/fixture-images.js';
import { buildLayer, type TarEntry } from '../helpers/tar-builder.js';
import { readProcFile } from '../../src/process.js';

/**
 * A run whose racker process is killed (kill -9) before it recorded the
 * container as running: its supervision mark, held by a dead process, marks a
 * dead run whatever the record says; the next command cleans up after it and
 * honours --rm.
 */
let t: Awaited<ReturnType<typeof tempRoot>>;
let IMAGE: string;
const rk = (args: string[], opts = {}) => racker(t.root, args, opts);
const volumes: string[] = [];

beforeAll(async () => {
  t = await tempRoot('dead-runs');
  // enough files under /data that filling a volume from the image takes a while
  const files: TarEntry[] = [{ type: 'dir', name: 'data' }];
  for (let d = 0; d < 40; d++) {
    files.push({ type: 'dir', name: `data/d${d}` });
    for (let f = 0; f < 400; f++) files.push({ type: 'file', name: `data/d${d}/f${f}`, content: Buffer.from(`${d}/${f}\n`) });
  }
  const dir = path.join(t.root, 'layouts', 'many');
  await writeOciLayout(dir, { layers: [busyboxLayer(), buildLayer(files)], config: { Cmd: ['sh'] }, tag: 'latest' });
  IMAGE = `oci:${dir}:latest`;
}, 120_000);
afterAll(async () => {
  for (const c of (await rk(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean)) await rk(['rm', '-f', c]);
  for (const v of volumes) await rk(['volume', 'rm', '-f', v]);
  await t.remove();
});

async function mountsUnder(root: string): Promise<string[]> {
  return (await readProcFile('/proc/self/mounts')).split('\n').filter(l => l.includes(root));
}

/** Wait until `check` holds, polling the file system (the event), at most `ms`. */
async function until(check: () => Promise<boolean>, what: string, ms = 120_000): Promise<void> {
  for (const deadline = Date.now() + ms; !await check();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 10));
  }
}

/** The copy racker had started (cp) runs on after racker is killed: wait until it is done with the volume. */
async function nothingCopiesInto(volDir: string): Promise<void> {
  await until(async () => {
    for (const pid of (await readdir('/proc')).filter(p => /^\d+$/.test(p))) {
      if ((await readProcFile(`/proc/${pid}/cmdline`).catch(() => '')).includes(volDir)) return false;
    }
    return true;
  }, 'the copy into the volume to end');
}

describe('kill -9 of racker run before the container runs', () => {
  it('while it fills a volume from the image: the next command finds the run dead, removes the --rm container and its mount', async () => {
    const vol = uniqueName('fill');
    volumes.push(vol);
    expect((await rk(['volume', 'create', vol])).exitCode).toBe(0);
    const name = uniqueName('killed');
    const run = execa(RACKER, ['--root', t.root, 'run', '--rm', '--name', name, '-v', `${vol}:/data`, IMAGE, 'true'], { reject: false, stdin: 'ignore' });
    // the copy into the volume's staging directory has begun
    const volDir = path.join(t.root, 'volumes', vol);
    await until(async () => (await readdir(volDir).catch(() => [] as string[])).some(e => e.startsWith('.fill')), 'the volume being filled');
    run.kill('SIGKILL');
    await run;
    await nothingCopiesInto(volDir);
    expect(await mountsUnder(t.root)).not.toEqual([]);
    const ps = await rk(['ps', '-a', '--format', '{{.Names}}']);
    expect(ps.exitCode, ps.stderr).toBe(0);
    expect(ps.stdout.split('\n')).not.toContain(name);
    expect(await mountsUnder(t.root)).toEqual([]);
    expect((await readdir(path.join(t.root, 'containers'))).length).toBe(0);
  });

  it('without --rm the container is kept as it was, its mount gone, and racker rm removes it', async () => {
    const vol = uniqueName('fill');
    volumes.push(vol);
    expect((await rk(['volume', 'create', vol])).exitCode).toBe(0);
    const name = uniqueName('kept');
    const run = execa(RACKER, ['--root', t.root, 'run', '--name', name, '-v', `${vol}:/data`, IMAGE, 'true'], { reject: false, stdin: 'ignore' });
    const volDir = path.join(t.root, 'volumes', vol);
    await until(async () => (await readdir(volDir).catch(() => [] as string[])).some(e => e.startsWith('.fill')), 'the volume being filled');
    run.kill('SIGKILL');
    await run;
    await nothingCopiesInto(volDir);
    const ps = await rk(['ps', '-a', '--format', '{{.Names}} {{.Status}}']);
    expect(ps.stdout).toContain(`${name} Created`);
    expect(await mountsUnder(t.root)).toEqual([]);
    expect((await rk(['rm', name])).exitCode).toBe(0);
  });
});
