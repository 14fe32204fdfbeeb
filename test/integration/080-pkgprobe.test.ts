import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { XMLParser } from 'fast-xml-parser';
import { POSTROJ, racker, tempRoot } from '../helpers/cli.js';
import { MIRROR_CACHE, DEBIAN_MIRROR } from '../helpers/debian.js';
import { freePort } from '../helpers/registry.js';
import { brokenPackage, buildDeb, helloPackage, idlePackage } from '../helpers/deb-builder.js';
import { writeOciLayout } from '../helpers/oci-layout.js';
import { busyboxLayer } from '../helpers/fixture-images.js';
import { buildLayer } from '../helpers/tar-builder.js';

/** postroj pkgprobe against real .deb packages in a booted Debian container. */
let t: Awaited<ReturnType<typeof tempRoot>>;
let work: string;
let server: Server;
let base: string;
const served = new Map<string, string>();
const requests: string[] = [];
const env = { ...process.env, RACKER_MIRROR_CACHE: path.join(MIRROR_CACHE, 'mirror') };

const postroj = async (args: string[]) => {
  const r = await execa(POSTROJ, ['--root', t.root, ...args], { reject: false, env, stdin: 'ignore', timeout: 10 * 60_000 });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
};

/** Containers and networks still there: each probe has a network of its own, removed with its container. */
async function leftovers(): Promise<string[]> {
  const ps = await racker(t.root, ['ps', '-a', '--format', 'json']);
  const nets = await racker(t.root, ['network', 'ls', '--format', 'json']);
  return [...ps.stdout.split('\n'), ...nets.stdout.split('\n')].filter(Boolean);
}

/** A server on the host's loopback that is not the package's: a check that reaches it fails on the body. */
async function hostServer(port: number): Promise<Server> {
  const s = createServer((_req, res) => { res.writeHead(200).end('the host\'s own server\n'); });
  await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(port, '127.0.0.1', resolve); });
  return s;
}

interface JsonReport {
  status: string;
  summary: { images: number; passed: number; failed: number; skipped: number };
  images: { image: string; status: string; kept: boolean; container?: string; checks: { name: string; kind: string; status: string; detail: string; output?: string }[] }[];
}

beforeAll(async () => {
  t = await tempRoot('pkgprobe');
  work = await mkdtemp(path.join(tmpdir(), 'racker-test-debs-'));
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const file = served.get(req.url ?? '');
    if (!file) { res.writeHead(404).end('not found\n'); return; }
    res.writeHead(200, { 'content-type': 'application/vnd.debian.binary-package' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const r = await postroj(['pull', 'debian-bookworm', '--source', 'mirror', '--mirror', DEBIAN_MIRROR]);
  expect(r.stdout + r.stderr).toContain('debian-bookworm: ready');
}, 20 * 60_000);

afterAll(async () => {
  server?.close();
  await rm(work, { recursive: true, force: true });
  const left = await leftovers();
  // remove them even so, then fail: a test that leaks must not leak past the suite
  const ids = (await racker(t.root, ['ps', '-aq'])).stdout.split('\n').filter(Boolean);
  if (ids.length) await racker(t.root, ['rm', '-f', ...ids]);
  const nets = (await racker(t.root, ['network', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
  if (nets.length) await racker(t.root, ['network', 'rm', ...nets]);
  await t.remove();
  expect(left).toEqual([]);
});

describe('postroj pkgprobe', () => {
  it('installs a package from a URL, starts its unit, and checks its port and HTTP answer', async () => {
    const port = await freePort();
    const deb = await buildDeb(work, helloPackage('probe-hello', port));
    served.set('/pool/probe-hello_1.0_all.deb', deb);
    const args = ['pkgprobe', '--image', 'debian-bookworm', '--package', `${base}/pool/probe-hello_1.0_all.deb`,
      '--check-unit', 'probe-hello', '--check-network', `tcp://127.0.0.1:${port}`,
      '--check-network', `http://127.0.0.1:${port}/`, '--expect-status', '200', '--expect-body', 'hello from probe-hello', '--format', 'json'];
    const r = await postroj(args);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.status, r.stderr).toBe('passed');
    expect(r.exitCode).toBe(0);
    const checks = report.images[0].checks;
    expect(checks.map(c => [c.kind, c.status])).toEqual([['boot', 'passed'], ['install', 'passed'], ['unit', 'passed'], ['network', 'passed'], ['network', 'passed']]);
    expect(checks[2]).toMatchObject({ name: 'unit probe-hello.service', detail: expect.stringMatching(/^active \(running\)/) });
    expect(checks[4].detail).toMatch(/HTTP 200, body matches/);
    expect(report.summary).toEqual({ images: 1, passed: 5, failed: 0, skipped: 0 });
    expect(requests.filter(u => u === '/pool/probe-hello_1.0_all.deb')).toHaveLength(1);

    // a second probe uses the cached download; a cached file of the wrong size is fetched again
    const again = await postroj(args);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(requests.filter(u => u === '/pool/probe-hello_1.0_all.deb')).toHaveLength(1);
    const cacheDir = path.join(t.root, 'cache', 'packages');
    const [entry] = await readdir(cacheDir);
    await truncate(path.join(cacheDir, entry, 'probe-hello_1.0_all.deb'), 100);
    const third = await postroj(args);
    expect(third.exitCode, third.stderr).toBe(0);
    expect(requests.filter(u => u === '/pool/probe-hello_1.0_all.deb')).toHaveLength(2);
    expect(await leftovers()).toEqual([]);
  });

  it('reports a service that exits, with its status and journal, in JUnit XML; nothing is left running', async () => {
    const deb = await buildDeb(work, brokenPackage('probe-broken'));
    const port = await freePort();
    const out = path.join(work, 'report.xml');
    const r = await postroj(['pkgprobe', '--image', 'debian-bookworm', '--package', deb, '--check-unit', 'probe-broken.service',
      '--check-network', `http://127.0.0.1:${port}/`, '--network-timeout', '2', '--format', 'junit', '--output', out]);
    expect(r.exitCode).toBe(1);
    // the text summary still goes to stdout
    expect(r.stdout).toMatch(/^debian-bookworm\s+unit probe-broken\.service\s+FAIL/m);
    expect(r.stdout).toMatch(/^2 passed, 2 failed, 0 skipped$/m);
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(await readFile(out, 'utf8'));
    const suites = xml.testsuites;
    expect(suites).toMatchObject({ tests: '4', failures: '2', skipped: '0' });
    const suite = suites.testsuite;
    expect(suite.name).toBe('debian-bookworm');
    const cases = suite.testcase as { name: string; failure?: { message: string; type: string; '#text': string } }[];
    expect(cases.map(c => c.name)).toEqual(['boot', 'install probe-broken_1.0_all.deb', 'unit probe-broken.service', `http://127.0.0.1:${port}/`]);
    const unitCase = cases[2];
    expect(unitCase.failure?.type).toBe('unit');
    expect(unitCase.failure?.message).toMatch(/failed \(result exit-code, exit status 3\)/);
    // systemctl status and the unit's journal are in the report
    expect(unitCase.failure?.['#text']).toContain('about to fail');
    expect(unitCase.failure?.['#text']).toMatch(/systemctl status probe-broken\.service/);
    expect(cases[3].failure?.message).toMatch(/not reachable: ECONNREFUSED/);
    expect(await leftovers()).toEqual([]);
    expect((await execa('pgrep', ['-f', 'probe-broken'], { reject: false })).stdout).toBe('');
  });

  it('a URL that answers 404 fails with one line before anything boots', async () => {
    const r = await postroj(['pkgprobe', '--image', 'debian-bookworm', '--package', `${base}/pool/missing_1.0_all.deb`, '--check-unit', 'missing']);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toMatch(/^postroj: cannot download package http:\/\/127\.0\.0\.1:\d+\/pool\/missing_1\.0_all\.deb: 404 Not Found$/m);
    expect(r.stderr).not.toMatch(/boot/);
    expect(await leftovers()).toEqual([]);
    expect(await readdir(path.join(t.root, 'cache', 'packages')).catch(() => [])).toHaveLength(1);
  });

  it('refuses bad input clearly: unknown label, unknown unit, a package of the wrong type', async () => {
    const label = await postroj(['pkgprobe', '--image', 'debian-bookwork', '--check-unit', 'ssh']);
    expect(label.exitCode).toBe(125);
    expect(label.stderr).toMatch(/^postroj: unknown image label 'debian-bookwork'$/m);

    const rpm = path.join(work, 'tool-1.0-1.x86_64.rpm');
    await writeFile(rpm, Buffer.concat([Buffer.from([0xed, 0xab, 0xee, 0xdb]), Buffer.alloc(92)]));
    const r = await postroj(['pkgprobe', '--image', 'debian-bookworm', '--package', rpm, '--check-unit', 'tool', '--format', 'json']);
    expect(r.exitCode).toBe(1);
    const report = JSON.parse(r.stdout) as JsonReport;
    const [, install, unit] = report.images[0].checks;
    expect(install).toMatchObject({ kind: 'install', status: 'failed' });
    expect(install.detail).toMatch(/is a \.rpm package, but Debian GNU\/Linux 12 \(bookworm\) installs \.deb packages \(apt-get\)/);
    expect(unit).toMatchObject({ name: 'unit tool.service', status: 'skipped' });

    const unknown = await postroj(['pkgprobe', '--image', 'debian-bookworm', '--check-unit', 'no-such-thing', '--format', 'json']);
    expect(unknown.exitCode).toBe(1);
    const u = (JSON.parse(unknown.stdout) as JsonReport).images[0].checks[1];
    expect(u).toMatchObject({ status: 'failed', detail: 'unit no-such-thing.service not found (no such unit file in the image or the installed packages)' });

    const notDeb = path.join(work, 'fake_1.0_all.deb');
    await writeFile(notDeb, '<html>error page</html>\n');
    const bad = await postroj(['pkgprobe', '--image', 'debian-bookworm', '--package', notDeb]);
    expect(bad.exitCode).toBe(125);
    expect(bad.stderr).toMatch(/is not a \.deb package \(its content does not match its name\)/);
    expect(await leftovers()).toEqual([]);
  });

  it('a port that is in use on the host does not matter: the check reaches the service in the probe\'s own network', async () => {
    const port = await freePort();
    const busy = await hostServer(port);
    try {
      const deb = await buildDeb(work, helloPackage('probe-busy', port));
      const r = await postroj(['pkgprobe', '--image', 'debian-bookworm', '--package', deb, '--check-unit', 'probe-busy',
        '--check-network', `tcp://127.0.0.1:${port}`, '--check-network', `http://localhost:${port}/`, '--expect-body', 'hello from probe-hello', '--format', 'json']);
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      const [img] = (JSON.parse(r.stdout) as JsonReport).images;
      expect(img.checks.map(c => [c.kind, c.status])).toEqual([['boot', 'passed'], ['install', 'passed'], ['unit', 'passed'], ['network', 'passed'], ['network', 'passed']]);
      expect(img.checks[4].detail).toBe('HTTP 200, body matches');
      // the host's server is still the one on the host's port
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('the host\'s own server\n');
    } finally {
      busy.close();
    }
    expect(await leftovers()).toEqual([]);
  });

  it('probes two images in parallel with --jobs 2, both with network checks on the same port', async () => {
    const port = await freePort();
    const deb = await buildDeb(work, helloPackage('probe-twice', port));
    const id = (await racker(t.root, ['images', '--format', 'json'])).stdout.split('\n').filter(Boolean)
      .map(l => (JSON.parse(l) as { Id: string }).Id)[0];
    expect(id).toBeTruthy();
    const r = await postroj(['pkgprobe', '--image', 'debian-bookworm', '--image', String(id), '--jobs', '2', '--package', deb, '--check-unit', 'probe-twice',
      '--check-network', `tcp://127.0.0.1:${port}`, '--check-network', `http://127.0.0.1:${port}/`, '--expect-body', 'hello from probe-hello', '--format', 'json']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as JsonReport & { durationMs: number; images: { durationMs: number }[] };
    expect(report.images.map(i => [i.image, i.status])).toEqual([['debian-bookworm', 'passed'], [String(id), 'passed']]);
    for (const img of report.images) expect(img.checks.filter(c => c.kind === 'network').map(c => c.status)).toEqual(['passed', 'passed']);
    // run one after the other, the whole probe would take at least as long as both images together
    expect(report.durationMs).toBeLessThan(report.images[0].durationMs + report.images[1].durationMs);
    expect(r.stderr).not.toMatch(/one image at a time/);
    expect(await leftovers()).toEqual([]);
  });

  it('probes several images at once and keeps containers with --keep', async () => {
    const deb = await buildDeb(work, idlePackage('probe-idle'));
    const id = (await racker(t.root, ['images', '--format', 'json'])).stdout.split('\n').filter(Boolean)
      .map(l => (JSON.parse(l) as { Id: string }).Id)[0];
    expect(id).toBeTruthy();
    const r = await postroj(['pkgprobe', '--image', 'debian-bookworm', '--image', String(id), '--jobs', '2', '--package', deb,
      '--check-unit', 'probe-idle', '--keep', '--format', 'json']);
    const kept = (await racker(t.root, ['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    try {
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as JsonReport;
      expect(report.images.map(i => [i.image, i.status, i.kept])).toEqual([['debian-bookworm', 'passed', true], [String(id), 'passed', true]]);
      const names = report.images.map(i => i.container!);
      expect(r.stderr).toContain(`racker --root ${t.root} exec -it ${names[0]} bash`);
      // each kept container keeps its own network, and postroj says how to remove it
      for (const name of names) expect(r.stderr).toContain(`racker --root ${t.root} rm -f ${name}  then its network with  racker --root ${t.root} network rm ${name}`);
      const nets = await racker(t.root, ['network', 'ls', '--format', 'json']);
      expect(nets.stdout.split('\n').filter(Boolean).map(l => (JSON.parse(l) as { Name: string }).Name).sort()).toEqual([...names].sort());
      const ps = await racker(t.root, ['ps', '--format', '{{.Names}} {{.State}}']);
      expect(ps.stdout.split('\n').sort()).toEqual(names.map(n => `${n} running`).sort());
      for (const name of names) {
        const active = await racker(t.root, ['exec', name, 'systemctl', 'is-active', 'probe-idle']);
        expect(active.stdout).toBe('active');
      }
    } finally {
      if (kept.length) await racker(t.root, ['rm', '-f', ...kept]);
      const nets = (await racker(t.root, ['network', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
      if (nets.length) await racker(t.root, ['network', 'rm', ...nets]);
    }
    expect(await leftovers()).toEqual([]);
  });

  it('an image whose init fails: the boot check fails with its log, the rest is skipped, nothing is kept', async () => {
    const dir = path.join(work, 'badinit');
    const init = buildLayer([
      { type: 'dir', name: 'usr/' }, { type: 'dir', name: 'usr/lib/' }, { type: 'dir', name: 'usr/lib/systemd/' },
      { type: 'file', name: 'usr/lib/os-release', body: 'ID=racker-test\nNAME="racker test"\n' },
      { type: 'file', name: 'usr/lib/systemd/systemd', mode: 0o755, body: '#!/bin/sh\necho init is broken >&2\nexit 1\n' },
    ]);
    await writeOciLayout(dir, { layers: [busyboxLayer(), init], tag: 'latest' });
    const r = await postroj(['pkgprobe', '--image', `oci:${dir}:latest`, '--check-unit', 'anything', '--boot-timeout', '20', '--format', 'json']);
    expect(r.exitCode, r.stderr).toBe(1);
    const [img] = (JSON.parse(r.stdout) as JsonReport).images;
    expect(img.checks.map(c => [c.name, c.status])).toEqual([['boot', 'failed'], ['unit anything.service', 'skipped']]);
    expect(img.checks[0].detail).toMatch(/failed to boot|did not finish booting/);
    expect(img.checks[0].output).toContain('init is broken');
    expect(await leftovers()).toEqual([]);
  });

  it('an interrupted probe removes its containers', async () => {
    const port = await freePort();
    const child = execa(POSTROJ, ['--root', t.root, 'pkgprobe', '--image', 'debian-bookworm', '--check-network', `tcp://127.0.0.1:${port}`, '--network-timeout', '120'],
      { reject: false, env, stdin: 'ignore', timeout: 180_000 });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    for (let i = 0; i < 600 && !/boot: ok/.test(err); i++) await new Promise(r => setTimeout(r, 100));
    expect(err).toMatch(/boot: ok/);
    // the container and its network
    expect(await leftovers()).toHaveLength(2);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(err).toMatch(/SIGINT: removing 1 probe container/);
    expect(await leftovers()).toEqual([]);
    // nor the network check it was running
    expect((await execa('pgrep', ['-f', `net-probe-main.js.*127.0.0.1:${port}`], { reject: false })).stdout).toBe('');
  });

  it('postroj selftest pkgprobe installs the distribution\'s cron from its repositories and checks its unit', async () => {
    const r = await postroj(['selftest', 'pkgprobe', '--image', 'debian-bookworm', '--format', 'json']);
    const results = JSON.parse(r.stdout) as { image: string; probe: string; ok: boolean; detail: string }[];
    expect(results).toEqual([expect.objectContaining({ image: 'debian-bookworm', probe: 'pkgprobe', ok: true, detail: 'install cron, unit cron.service' })]);
    expect(r.exitCode).toBe(0);
    expect(await leftovers()).toEqual([]);
  });
});
