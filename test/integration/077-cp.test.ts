import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { RACKER, racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { busyboxLayer } from '../helpers/fixture-images.js';
import { writeOciLayout } from '../helpers/oci-layout.js';
import { pushLayout } from '../helpers/registry.js';
import { buildLayer, buildTar } from '../helpers/tar-builder.js';

/**
 * racker cp and compose cp. The container is the attacker (CVE-2018-15664):
 * its side of the copy runs as a confined tar inside it, so a symlink it
 * made resolves in the container, and the archive it sends never writes
 * outside the user's destination.
 */
const reg = inject('registry');
const BUSYBOX = `${reg}/fixtures/busybox:latest`;
const WITH_TAR = `${reg}/fixtures/busybox-cp:latest`;
let t: Awaited<ReturnType<typeof tempRoot>>;
let work: string;
const names: string[] = [];
const projects: { name: string; dir: string }[] = [];
const rk = (args: string[], opts = {}) => racker(t.root, args, opts);

beforeAll(async () => {
  t = await tempRoot('cp');
  work = await mkdtemp(path.join(tmpdir(), 'racker-test-cp-work-'));
  const dir = await mkdtemp(path.join(tmpdir(), 'racker-test-cp-image-'));
  try {
    const tar = buildLayer([{ type: 'symlink', name: 'bin/tar', target: 'busybox' }, { type: 'symlink', name: 'bin/ln', target: 'busybox' }, { type: 'symlink', name: 'bin/chmod', target: 'busybox' }, { type: 'symlink', name: 'bin/chown', target: 'busybox' }]);
    await writeOciLayout(dir, { layers: [busyboxLayer(), tar], config: { Cmd: ['sh'] }, tag: 'latest' });
    await pushLayout({ host: reg, storageDir: inject('registryStorage') } as never, dir, 'latest', 'fixtures/busybox-cp:latest');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  for (const image of [BUSYBOX, WITH_TAR]) expect((await rk(['pull', '-q', '--tls-verify=false', image])).exitCode).toBe(0);
}, 180_000);

afterAll(async () => {
  for (const p of projects) await rk(['compose', '-p', p.name, '--project-directory', p.dir, '-f', path.join(p.dir, 'compose.yaml'), 'down', '-t', '1']);
  for (const n of names) await rk(['rm', '-f', n]);
  await rm(work, { recursive: true, force: true });
  await t.remove();
}, 180_000);

async function running(image = WITH_TAR): Promise<string> {
  const n = uniqueName('cp');
  names.push(n);
  const r = await rk(['run', '-d', '--name', n, image, 'sleep', '300']);
  expect(r.exitCode, r.stderr).toBe(0);
  return n;
}

async function sh(n: string, script: string): Promise<string> {
  const r = await rk(['exec', n, 'sh', '-c', script]);
  expect(r.exitCode, r.stderr).toBe(0);
  return `${r.stdout}\n`;
}

async function hostDir(label: string): Promise<string> {
  const d = path.join(work, uniqueName(label));
  await mkdir(d);
  return d;
}

describe('racker cp', () => {
  it('copies a file and a directory in and out of a running container', async () => {
    const n = await running();
    const src = await hostDir('src');
    await writeFile(path.join(src, 'f.txt'), 'hello file\n');
    await mkdir(path.join(src, 'tree', 'sub'), { recursive: true });
    await writeFile(path.join(src, 'tree', 'sub', 'g.txt'), 'deep\n');
    // in: a file to a new name, a directory into an existing directory
    expect((await rk(['cp', path.join(src, 'f.txt'), `${n}:/tmp/copied.txt`])).exitCode).toBe(0);
    const dirIn = await rk(['cp', path.join(src, 'tree'), `${n}:/tmp`]);
    expect(dirIn.exitCode, dirIn.stderr).toBe(0);
    expect(await sh(n, 'cat /tmp/copied.txt /tmp/tree/sub/g.txt')).toBe('hello file\ndeep\n');
    // out: a file to a new name, a directory into an existing one, a directory's contents with /.
    const dest = await hostDir('dest');
    const fileOut = await rk(['cp', `${n}:/tmp/copied.txt`, path.join(dest, 'back.txt')]);
    expect(fileOut.exitCode, fileOut.stderr).toBe(0);
    expect(await readFile(path.join(dest, 'back.txt'), 'utf8')).toBe('hello file\n');
    expect((await rk(['cp', `${n}:/tmp/tree`, dest])).exitCode).toBe(0);
    expect(await readFile(path.join(dest, 'tree', 'sub', 'g.txt'), 'utf8')).toBe('deep\n');
    expect((await rk(['cp', `${n}:/tmp/tree/.`, path.join(dest, 'flat')])).exitCode).toBe(0);
    expect(await readFile(path.join(dest, 'flat', 'sub', 'g.txt'), 'utf8')).toBe('deep\n');
    // missing source: docker's 1
    const missing = await rk(['cp', `${n}:/nope`, dest]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('nope');
  });

  it('- writes a tar to stdout and reads one from stdin', async () => {
    const n = await running();
    await sh(n, 'mkdir /tmp/d && echo one > /tmp/d/a');
    const out = await execa(RACKER, ['--root', t.root, 'cp', `${n}:/tmp/d`, '-'], { encoding: 'buffer', reject: false, stdin: 'ignore' });
    expect(out.exitCode, String(out.stderr)).toBe(0);
    const tarFile = path.join(await hostDir('tar'), 'd.tar');
    await writeFile(tarFile, out.stdout);
    const x = await hostDir('x');
    await execa('tar', ['-x', '-f', tarFile, '-C', x]);
    expect(await readFile(path.join(x, 'd', 'a'), 'utf8')).toBe('one\n');
    const input = buildTar([{ type: 'file', name: 'from-stdin.txt', body: 'piped\n' }]);
    const r = await rk(['cp', '-', `${n}:/tmp`], { input });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await sh(n, 'cat /tmp/from-stdin.txt')).toBe('piped\n');
  });

  it('-a keeps uid and gid both ways; without it the copy is the copier\'s', async () => {
    const n = await running();
    await sh(n, 'echo o > /tmp/o && chown 1234:5678 /tmp/o');
    const dest = await hostDir('own');
    expect((await rk(['cp', '-a', `${n}:/tmp/o`, path.join(dest, 'kept')])).exitCode).toBe(0);
    expect((await rk(['cp', `${n}:/tmp/o`, path.join(dest, 'plain')])).exitCode).toBe(0);
    expect([lstatSync(path.join(dest, 'kept')).uid, lstatSync(path.join(dest, 'kept')).gid]).toEqual([1234, 5678]);
    expect(lstatSync(path.join(dest, 'plain')).uid).toBe(process.getuid?.());
    const { chown } = await import('node:fs/promises');
    await chown(path.join(dest, 'kept'), 4321, 8765);
    expect((await rk(['cp', '-a', path.join(dest, 'kept'), `${n}:/tmp/in-kept`])).exitCode).toBe(0);
    expect((await rk(['cp', path.join(dest, 'kept'), `${n}:/tmp/in-plain`])).exitCode).toBe(0);
    expect(await sh(n, 'stat -c %u:%g /tmp/in-kept /tmp/in-plain')).toBe('4321:8765\n0:0\n');
  });

  it('a symlink the container made resolves inside it, both ways', async () => {
    const n = await running();
    const host = await hostDir('victim');
    await writeFile(path.join(host, 'marker'), 'host secret\n');
    // /data -> / and /hostlike -> a path that exists on the host (and, made by the container, inside it too)
    await sh(n, `ln -s / /data && echo container-own > /own && mkdir -p ${host} && ln -s ${host} /hostlike`);
    const dest = await hostDir('out');
    const r = await rk(['cp', `${n}:/data/own`, path.join(dest, 'own')]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await readFile(path.join(dest, 'own'), 'utf8')).toBe('container-own\n');
    // the host's marker is not the container's
    const m = await rk(['cp', `${n}:/hostlike/marker`, path.join(dest, 'marker')]);
    expect(m.exitCode).toBe(1);
    expect(existsSync(path.join(dest, 'marker'))).toBe(false);
    // copying in through the link lands in the container, never on the host
    const src = path.join(await hostDir('in'), 'payload');
    await writeFile(src, 'payload\n');
    const into = await rk(['cp', src, `${n}:/hostlike/`]);
    expect(into.exitCode, into.stderr).toBe(0);
    expect(await readdir(host)).toEqual(['marker']);
    expect(await sh(n, `cat ${host}/payload`)).toBe('payload\n');
    const viaRoot = await rk(['cp', src, `${n}:/data/tmp/`]);
    expect(viaRoot.exitCode, viaRoot.stderr).toBe(0);
    expect(await sh(n, 'cat /tmp/payload')).toBe('payload\n');
  });

  it('a hostile tar from the container never writes outside the destination', async () => {
    const n = await running();
    const host = await hostDir('victim2');
    const cases: [string, Buffer][] = [
      ['link out, then through it', buildTar([{ type: 'dir', name: 'x/' }, { type: 'symlink', name: 'x/link', target: host }, { type: 'file', name: 'x/link/pwned', body: 'owned\n' }])],
      ['.. in a name', buildTar([{ type: 'dir', name: 'x/' }, { type: 'file', name: `x/../../../../../../../..${host}/pwned`, body: 'owned\n' }])],
      ['absolute name', buildTar([{ type: 'file', name: `${host}/pwned`, body: 'owned\n' }])],
      ['the top a link to something beside it', buildTar([{ type: 'symlink', name: 'x', target: 'victim' }])],
      ['link inside, then a file through it', buildTar([{ type: 'dir', name: 'x/' }, { type: 'dir', name: 'x/d/' }, { type: 'symlink', name: 'x/l', target: 'd' }, { type: 'file', name: 'x/l/f', body: 'owned\n' }])],
    ];
    const evil = path.join(await hostDir('evil'), 'evil.tar');
    await sh(n, 'mkdir /x');
    for (const [label, archive] of cases) {
      await writeFile(evil, archive);
      const put = await rk(['cp', evil, `${n}:/evil.tar`]);
      expect(put.exitCode, put.stderr).toBe(0);
      // the container replaces its tar with one that sends the crafted archive
      await sh(n, 'rm -f /bin/tar && printf \'#!/bin/sh\\ncat /evil.tar\\n\' > /bin/tar && chmod 755 /bin/tar');
      const dest = await hostDir('dest');
      const r = await rk(['cp', `${n}:/x`, dest]);
      expect(r.exitCode, `${label}: ${r.stderr}`).toBe(1);
      expect(await readdir(host), label).toEqual([]);
      const made = existsSync(path.join(dest, 'x', 'l')) ? lstatSync(path.join(dest, 'x', 'l')) : undefined;
      if (made?.isSymbolicLink()) expect(existsSync(path.join(dest, 'x', 'd', 'f')), label).toBe(false);
      await sh(n, 'rm /bin/tar && ln -s busybox /bin/tar');
    }
  });

  it('an image without tar: a clear error, and a stopped container: refused', async () => {
    const n = await running(BUSYBOX);
    const r = await rk(['cp', `${n}:/etc/passwd`, path.join(await hostDir('none'), 'p')]);
    expect(r.exitCode).toBe(126);
    expect(r.stderr).toContain('tar');
    const m = await running();
    expect((await rk(['stop', '-t', '1', m])).exitCode).toBe(0);
    const s = await rk(['cp', `${m}:/etc/passwd`, path.join(await hostDir('none'), 'p')]);
    expect(s.exitCode).toBe(125);
    expect(s.stderr).toContain('needs the container running');
  });

  it('compose cp copies in and out of a service container', async () => {
    const p = { name: uniqueName('cpc'), dir: await hostDir('proj') };
    projects.push(p);
    await writeFile(path.join(p.dir, 'compose.yaml'), `services:\n  app:\n    image: ${WITH_TAR}\n    command: ["sleep", "300"]\n`);
    const compose = (args: string[]) => rk(['compose', '-p', p.name, '--project-directory', p.dir, '-f', path.join(p.dir, 'compose.yaml'), ...args]);
    const up = await compose(['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    await writeFile(path.join(p.dir, 'note'), 'composed\n');
    const into = await compose(['cp', path.join(p.dir, 'note'), 'app:/tmp/note']);
    expect(into.exitCode, into.stderr).toBe(0);
    const out = await compose(['cp', '--index', '1', 'app:/tmp/note', path.join(p.dir, 'back')]);
    expect(out.exitCode, out.stderr).toBe(0);
    expect(await readFile(path.join(p.dir, 'back'), 'utf8')).toBe('composed\n');
    expect((await compose(['cp', 'nope:/x', p.dir])).exitCode).toBe(125);
  });
});
