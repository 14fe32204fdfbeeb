import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { writeOciLayout } from '../helpers/oci-layout.js';
import { busyboxLayer } from '../helpers/fixture-images.js';
import { buildLayer, sha256, type TarEntry, type BuiltLayer } from '../helpers/tar-builder.js';
import { pushLayout, putBlob, putManifest, tamperBlob } from '../helpers/registry.js';

/**
 * Each hostile layer from shared/HOSTILE-INPUTS.md, pulled through the CLI.
 * Every case: the host sentinel is untouched, and either the pull fails with a
 * clear message and stores nothing, or the documented result is inside the root.
 */
let t: Awaited<ReturnType<typeof tempRoot>>;
let victim: string;
beforeAll(async () => {
  t = await tempRoot('pull-hostile');
  victim = path.join(t.root, 'victim');
  await mkdir(victim);
  await writeFile(path.join(victim, 'precious'), 'untouched\n');
});
afterAll(async () => { await t.remove(); });

async function victimUntouched(): Promise<void> {
  expect((await readdir(victim)).sort()).toEqual(['precious']);
  expect(await readFile(path.join(victim, 'precious'), 'utf8')).toBe('untouched\n');
}

let n = 0;
async function pullLayers(layers: BuiltLayer[]) {
  const dir = path.join(t.root, 'layouts', String(++n));
  await writeOciLayout(dir, { layers, tag: 'latest' });
  const store = path.join(t.root, 'stores', String(n));
  const r = await racker(store, ['pull', `oci:${dir}:latest`]);
  return { ...r, store };
}

async function expectRefused(layers: BuiltLayer[], message: RegExp) {
  const r = await pullLayers(layers);
  expect(r.stderr).toMatch(message);
  expect(r.exitCode).toBe(125);
  expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  // nothing half-made is visible: no image, no tmp leftovers
  expect(await readdir(path.join(r.store, 'images'))).toEqual([]);
  expect(await readdir(path.join(r.store, 'tmp'))).toEqual([]);
  await victimUntouched();
}

const L = (entries: TarEntry[]) => buildLayer(entries);

describe('hostile layers', () => {
  it('names with ../', () => expectRefused([L([{ type: 'file', name: '../../escape', body: 'x' }])], /escapes/));

  it('names with a/../../x', () => expectRefused([L([{ type: 'file', name: 'a/../../x', body: 'x' }])], /escapes/));

  it('absolute names stay inside the root', async () => {
    const r = await pullLayers([L([{ type: 'file', name: `////${victim.slice(1)}/abs`, body: 'inside' }])]);
    expect(r.exitCode).toBe(0);
    await victimUntouched();
  });

  it('symlink then a write through it, in one layer', () => expectRefused([L([
    { type: 'dir', name: 'foo/' },
    { type: 'symlink', name: 'foo', target: victim },
    { type: 'file', name: 'foo/bar', body: 'x' },
  ])], /through symlink/));

  it('climbing symlink chain then a file through it', () => expectRefused([L([
    { type: 'symlink', name: 'go_up', target: '..' },
    { type: 'symlink', name: 'go_up/escape', target: '../victim' },
    { type: 'file', name: 'go_up/escape/precious', body: 'x' },
  ])], /through symlink/));

  it('symlink in a lower layer, a write through it in the next', async () => {
    const r = await pullLayers([L([{ type: 'symlink', name: 'etc', target: victim }]), L([{ type: 'file', name: 'etc/f', body: 'x' }])]);
    expect(r.exitCode).toBe(0);
    await victimUntouched();
  });

  it('absolute hardlink', () => expectRefused([L([{ type: 'hardlink', name: 'h', target: path.join(victim, 'precious') }])], /hardlink|escapes|not found|outside/i));

  it('.. hardlink', () => expectRefused([L([{ type: 'hardlink', name: 'h', target: '../victim/precious' }])], /escapes/));

  it('hardlink through a chain of climbing symlinks', () => expectRefused([L([
    { type: 'dir', name: 'c/' },
    { type: 'symlink', name: 'c/up', target: '../..' },
    { type: 'symlink', name: 'escape', target: 'c/up/../..' },
    { type: 'hardlink', name: 'h', target: 'escape/victim/precious' },
  ])], /symlink|escapes|hardlink/i));

  it('whiteout whose path escapes', () => expectRefused([L([{ type: 'file', name: 'a/../../.wh.victim' }])], /escapes|invalid whiteout/));

  it('invalid whiteout names', () => expectRefused([L([{ type: 'file', name: '.wh..' }])], /invalid whiteout/));

  it('whiteout under a symlink from a lower layer removes nothing on the host', async () => {
    const r = await pullLayers([L([{ type: 'symlink', name: 'link', target: victim }]), L([{ type: 'file', name: 'link/.wh.precious' }])]);
    await victimUntouched();
    expect([0, 125]).toContain(r.exitCode);
  });

  it('opaque whiteout under a lower-layer symlink clears nothing on the host', async () => {
    const r = await pullLayers([L([{ type: 'symlink', name: 'link', target: victim }]), L([{ type: 'file', name: 'link/.wh..wh..opq' }])]);
    await victimUntouched();
    expect([0, 125]).toContain(r.exitCode);
  });

  it('a root entry that changes type', () => expectRefused([L([{ type: 'symlink', name: './', target: victim }])], /root/));

  it('device nodes are skipped, not created', async () => {
    const r = await pullLayers([busyboxLayer(), L([{ type: 'char', name: 'dev/mem2', major: 1, minor: 1 }, { type: 'block', name: 'dev/sda9', major: 8, minor: 9 }])]);
    expect(r.exitCode).toBe(0);
    const layers = await readdir(path.join(r.store, 'layers'));
    for (const l of layers) {
      const found = await execa('find', [path.join(r.store, 'layers', l, 'fs'), '-type', 'b', '-o', '-type', 'c', '!', '-name', '*.wh.*'], { reject: false });
      expect(found.stdout.split('\n').filter(x => x && !x.endsWith('/dev'))).toEqual([]);
    }
  });

  it('a truncated gzip is refused and nothing is stored', async () => {
    const good = L([{ type: 'file', name: 'big', body: Buffer.alloc(200_000, 7) }]);
    const gz = good.gz.subarray(0, good.gz.length - 40);
    const { createHash } = await import('node:crypto');
    const layer = { ...good, gz, digest: 'sha256:' + createHash('sha256').update(gz).digest('hex') };
    await expectRefused([layer], /corrupt|truncated|unexpected end/i);
  });

  it('a blob that does not match its digest is refused and nothing is stored', async () => {
    const reg = inject('registry');
    const dir = path.join(t.root, 'layouts', 'tamper');
    const layer = L([{ type: 'file', name: 'data', body: 'original bytes' }]);
    await writeOciLayout(dir, { layers: [layer], tag: 'latest' });
    await pushLayout({ host: reg, storageDir: inject('registryStorage') } as never, dir, 'latest', 'hostile/tampered:latest');
    await tamperBlob({ host: reg, storageDir: inject('registryStorage') } as never, layer.digest);
    const store = path.join(t.root, 'stores', 'tamper');
    const r = await racker(store, ['pull', '--tls-verify=false', `${reg}/hostile/tampered:latest`]);
    expect(r.stderr).toMatch(/digest mismatch/);
    expect(r.exitCode).toBe(125);
    expect(await readdir(path.join(store, 'layers'))).toEqual([]);
    expect(await readdir(path.join(store, 'tmp'))).toEqual([]);
  });
});

const TITLE = '\x1b]0;pwned\x07';
const CLEAR = '\x1b[2J';
/** a terminal acts on these; racker's output may hold newlines only */
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** Push an image to the loopback registry the way a client would, with whatever config and layer media type it is given. */
async function pushImage(repository: string, tag: string, opts: { config?: Record<string, unknown>; layer?: BuiltLayer; layerMediaType?: string } = {}) {
  const reg = { host: inject('registry') };
  const layer = opts.layer ?? L([{ type: 'file', name: 'data', body: 'x\n' }]);
  await putBlob(reg, repository, layer.gz);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: opts.config ?? {}, rootfs: { type: 'layers', diff_ids: [layer.diffId] } }));
  const configDigest = await putBlob(reg, repository, config);
  const manifest = {
    schemaVersion: 2, mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: opts.layerMediaType ?? GZIP_LAYER, digest: layer.digest, size: layer.gz.length }],
  };
  const digest = await putManifest(reg, repository, tag, manifest, OCI_MANIFEST);
  return { ref: `${reg.host}/${repository}:${tag}`, digest, size: Buffer.byteLength(JSON.stringify(manifest)) };
}

describe('hostile registry documents', () => {
  const pull = (store: string, ref: string) => racker(path.join(t.root, 'stores', store), ['pull', '--tls-verify=false', ref]);

  it('an index of 1,000 platforms, some with terminal escapes in their names: a short error, nothing raw', async () => {
    const img = await pushImage('hostile/platforms', 'only-image');
    const manifests = Array.from({ length: 1000 }, (_, i) => ({
      mediaType: OCI_MANIFEST, digest: img.digest, size: img.size,
      platform: i === 0 ? { os: `linux${TITLE}`, architecture: 'arm' } : i === 1 ? { os: 'linux', architecture: `s390x${CLEAR}` } : { os: 'linux', architecture: `arch${i}` },
    }));
    await putManifest({ host: inject('registry') }, 'hostile/platforms', 'latest', { schemaVersion: 2, mediaType: OCI_INDEX, manifests }, OCI_INDEX);
    const r = await pull('platforms', `${inject('registry')}/hostile/platforms:latest`);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).not.toMatch(CONTROL);
    expect(r.stderr).toContain('available: linux\\x1b]0;pwned\\x07/arm, linux/s390x\\x1b[2J, linux/arch2, linux/arch3, linux/arch4 ... and 995 more');
    expect(r.stderr.length).toBeLessThan(600);
  });

  it('a layer media type with terminal escapes is shown escaped', async () => {
    const img = await pushImage('hostile/layertype', 'latest', { layerMediaType: `application/x-evil${CLEAR}${TITLE}` });
    const r = await pull('layertype', img.ref);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).not.toMatch(CONTROL);
    expect(r.stderr).toContain('unsupported layer media type application/x-evil\\x1b[2J\\x1b]0;pwned\\x07');
  });

  it('a manifest media type with terminal escapes is shown escaped, and cut', async () => {
    // a registry refuses to store such a manifest; an OCI layout carries it as it is
    const dir = path.join(t.root, 'layouts', 'mediatype');
    await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    const doc = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: `application/x${TITLE}${'z'.repeat(20_000)}` }));
    await writeFile(path.join(dir, 'blobs', 'sha256', sha256(doc).slice(7)), doc);
    await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: OCI_MANIFEST, digest: sha256(doc), size: doc.length }] }));
    const r = await racker(path.join(t.root, 'stores', 'mediatype'), ['pull', `oci:${dir}`]);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).not.toMatch(CONTROL);
    expect(r.stderr).toContain("unsupported manifest type 'application/x\\x1b]0;pwned\\x07zzz");
    expect(r.stderr.length).toBeLessThan(1000);
  });

  it('config fields of the wrong JSON type are refused on pull, naming the field', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ Env: 'PATH=/bin' }, /config\.Env is a string, not a list of strings/],
      [{ Cmd: { sh: true } }, /config\.Cmd is an object, not a list of strings/],
      [{ Entrypoint: '/bin/sh' }, /config\.Entrypoint is a string, not a list of strings/],
    ];
    for (const [i, [config, message]] of cases.entries()) {
      const img = await pushImage('hostile/config', `bad${i}`, { config });
      const store = `config${i}`;
      const r = await pull(store, img.ref);
      expect(r.stderr).toMatch(message);
      expect(r.exitCode).toBe(125);
      expect(await readdir(path.join(t.root, 'stores', store, 'images'))).toEqual([]);
    }
  });

  it('a malformed config already in the store gets the error on run, not a crash or a wrong command', async () => {
    const img = await pushImage('hostile/stored', 'latest', { layer: busyboxLayer(), config: { Entrypoint: ['/bin/true'] } });
    const store = path.join(t.root, 'stores', 'stored');
    const pulled = await racker(store, ['pull', '-q', '--tls-verify=false', img.ref]);
    expect(pulled.exitCode).toBe(0);
    // as an older racker, which did not check configs, would have stored it
    const file = path.join(store, 'images', `${pulled.stdout.trim().slice(7)}.json`);
    const rec = JSON.parse(await readFile(file, 'utf8')) as { config: { config: Record<string, unknown> } };
    rec.config.config.Entrypoint = '/bin/sh';
    await writeFile(file, JSON.stringify(rec));
    const name = uniqueName('stored');
    try {
      const r = await racker(store, ['run', '--rm', '--name', name, img.ref]);
      expect(r.stderr).toMatch(/config of image [0-9a-f]{12} is malformed: config\.Entrypoint is a string, not a list of strings/);
      expect(r.exitCode).toBe(125);
      expect((await racker(store, ['ps', '-a', '-q'])).stdout).toBe('');
      // still listed, and removable
      expect((await racker(store, ['images', '-q'])).stdout.trim()).toBe(pulled.stdout.trim().slice(7, 19));
      expect((await racker(store, ['rmi', img.ref])).exitCode).toBe(0);
    } finally {
      await racker(store, ['rm', '-f', name]);
    }
  });

  it('image-provided strings in ps, inspect and templates are escaped', async () => {
    const img = await pushImage('hostile/strings', 'latest', {
      layer: busyboxLayer(), config: { Entrypoint: ['/bin/echo', TITLE], Labels: { note: `${CLEAR}\x9b31m` } },
    });
    const store = path.join(t.root, 'stores', 'strings');
    expect((await racker(store, ['pull', '-q', '--tls-verify=false', img.ref])).exitCode).toBe(0);
    const name = uniqueName('strings');
    try {
      expect((await racker(store, ['run', '--name', name, img.ref])).exitCode).toBe(0);
      const outputs = await Promise.all([
        ['ps', '-a'], ['ps', '-a', '--no-trunc'], ['ps', '-a', '--format', 'json'], ['ps', '-a', '--format', '{{.Command}}'],
        ['inspect', name], ['inspect', '--type', 'image', img.ref], ['inspect', '--format', '{{.Config.Labels}} {{json .Config}}', img.ref],
        ['images', '--format', 'json'],
      ].map(args => racker(store, args)));
      for (const o of outputs) {
        expect(o.exitCode).toBe(0);
        expect(o.stdout).not.toMatch(CONTROL);
      }
      expect(outputs[1].stdout).toContain('"/bin/echo \\x1b]0;pwned\\x07"');
      expect(outputs[3].stdout).toBe('/bin/echo \\x1b]0;pwned\\x07');
      expect(outputs[6].stdout).toContain('map[note:\\x1b[2J\\x9b31m]');
      // JSON output stays JSON, with the same strings in it
      const image = JSON.parse(outputs[5].stdout) as { Config: { Labels: Record<string, string>; Entrypoint: string[] } }[];
      expect(image[0].Config.Labels.note).toBe(`${CLEAR}\x9b31m`);
      expect(image[0].Config.Entrypoint).toEqual(['/bin/echo', TITLE]);
    } finally {
      await racker(store, ['rm', '-f', name]);
    }
  });
});
