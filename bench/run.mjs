// npm run bench [-- SCENARIO…]: racker side by side with the raw tools, in one run.
// Scenarios: app boot pull share scale cli net port compose (default: all). BENCH_RUNS (default 5)
// rounds after one warm-up; BENCH_SCALE (default 5,10,20) container counts.
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { abort, alternate, must, printTable, stats, timeIt, fmt } from './lib/measure.mjs';
import { blobGets, CACHE, debianTarball, freePort, MIRROR, ociLayout, smallTar, startRegistry } from './lib/fixtures.mjs';
import { parentOf, processTree, rawApp, rawAppOverlay, rawBootCycle } from './lib/raw.mjs';
import { setUpPodman, startDocker } from './lib/contenders.mjs';
import { BULK_PORT, BULK_SERVER, fetchAll, waitForPort } from './lib/net.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RACKER = path.join(REPO, 'bin/racker');
const POSTROJ = path.join(REPO, 'bin/postroj');
const ALL = ['app', 'boot', 'pull', 'share', 'scale', 'cli', 'net', 'port', 'compose'];
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SCALE = (process.env.BENCH_SCALE ?? '5,10,20').split(',').map(Number).filter(n => n > 0);
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : ALL;
for (const s of chosen) if (!ALL.includes(s)) { console.error(`bench: unknown scenario '${s}' (use ${ALL.join(' ')})`); process.exit(2); }
if (!Number.isInteger(RUNS) || RUNS < 1) { console.error('bench: BENCH_RUNS must be a whole number ≥ 1'); process.exit(2); }
if (process.getuid?.() !== 0) { console.error('bench: run as root (systemd-nspawn, mounts)'); process.exit(2); }

const env = { ...process.env, RACKER_MIRROR_CACHE: path.join(CACHE, 'mirror') };
// node parses NODE_EXTRA_CA_CERTS before any JavaScript runs (~40 ms here when it is set) and
// racker does not (docs/pull.md): with it set, `node -e 0` is also measured without it
const CLEAN_NODE = process.env.NODE_EXTRA_CA_CERTS ? 'node -e 0 (without NODE_EXTRA_CA_CERTS)' : undefined;
const cleanNodeEnv = () => { const e = { ...process.env }; delete e.NODE_EXTRA_CA_CERTS; return e; };
const cleanNode = () => ({ name: CLEAN_NODE, run: () => must(process.execPath, ['-e', '0'], { env: cleanNodeEnv(), extendEnv: false }) });
const work = await mkdtemp('/var/tmp/racker-bench-');
const root = path.join(work, 'store');
const racker = (args, opts = {}) => must(RACKER, ['--root', root, ...args], { env, ...opts });
let registry;
// docker and podman, each with private state under `work`: { docker | podman, version, stop } or { why }
let dockerC, podmanC, stopDocker;
const why = (e) => String(e?.message ?? e).split('\n').pop().slice(0, 300);
const podmanReady = async () => (podmanC ??= await setUpPodman(work).catch(e => ({ why: why(e) })));

async function cleanup() {
  const ps = await execa(RACKER, ['--root', root, 'ps', '-aq', '--no-trunc'], { reject: false, stdin: 'ignore' });
  const ids = String(ps.stdout).split('\n').filter(Boolean);
  if (ids.length) await execa(RACKER, ['--root', root, 'rm', '-f', ...ids], { reject: false, stdin: 'ignore' });
  // the networks of the bench's own store (their bridges and rules go with them)
  const nets = await execa(RACKER, ['--root', root, 'network', 'ls', '-q', '--no-trunc'], { reject: false, stdin: 'ignore' });
  const netIds = String(nets.stdout).split('\n').filter(Boolean);
  if (netIds.length) await execa(RACKER, ['--root', root, 'network', 'rm', ...netIds], { reject: false, stdin: 'ignore' });
  // the compose scenario's networks, if a run stopped before its down
  for (const n of ['bench-net', 'bench_default']) await execa(RACKER, ['--root', root, 'network', 'rm', n], { reject: false, stdin: 'ignore' });
  await stopDocker?.().catch(() => undefined);
  await podmanC?.stop?.().catch(() => undefined);
  await registry?.stop().catch(() => undefined);
  const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n').map(l => l.split(' ')[1]).filter(m => m?.startsWith(work));
  for (const m of mounts.reverse()) await execa('umount', ['-l', m], { reject: false });
  await rm(work, { recursive: true, force: true });
}
let cleaning;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { abort.requested = true; cleaning ??= cleanup().finally(() => process.exit(130)); });
}

const results = {
  date: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), node: process.version,
    systemd: String((await execa('systemd-nspawn', ['--version'], { reject: false })).stdout).split('\n')[0],
    podman: String((await execa('podman', ['--version'], { reject: false })).stdout || 'not installed'),
    docker: String((await execa('dockerd', ['--version'], { reject: false })).stdout || 'not installed'),
  },
  runs: RUNS,
  scenarios: {},
};

try {
  // ---- fixtures ---------------------------------------------------------------
  const needRegistry = chosen.some(s => ['app', 'pull', 'share', 'cli', 'net', 'port', 'compose'].includes(s));
  const needBoot = chosen.some(s => ['boot', 'scale'].includes(s));
  let SLIM, EXTRA, slimLayer;
  if (needRegistry) {
    const tar = await debianTarball();
    const layout = path.join(work, 'layout');
    const extra = await smallTar(work);
    console.error('bench: building OCI images and pushing them to a loopback registry…');
    const { layers } = await ociLayout(layout, { slim: [tar], extra: [tar, extra] });
    slimLayer = layers[0];
    registry = await startRegistry();
    await registry.push(layout, 'slim', 'bench/debian:slim');
    await registry.push(layout, 'extra', 'bench/debian:extra');
    SLIM = `${registry.host}/bench/debian:slim`;
    EXTRA = `${registry.host}/bench/debian:extra`;
    await rm(layout, { recursive: true, force: true });
  }
  if (needBoot) {
    console.error('bench: acquiring debian-bookworm (built from the Debian mirror, cached)…');
    await must(POSTROJ, ['--root', root, 'pull', 'debian-bookworm', '--source', 'mirror', '--mirror', MIRROR], { env, timeout: 30 * 60_000 });
  }

  async function layerDirOf(image) {
    const tags = JSON.parse(await readFile(path.join(root, 'tags.json'), 'utf8'));
    const id = Object.entries(tags).find(([k]) => k.includes(image))?.[1];
    const rec = JSON.parse(await readFile(path.join(root, 'images', `${id.slice(7)}.json`), 'utf8'));
    if (rec.layers.length !== 1) throw new Error(`${image}: expected one layer`);
    return path.join(root, 'layers', rec.layers[0].slice(7), 'fs');
  }

  const ratioRow = (name, s, ref, target, limit, ratioOf) => {
    const ratio = s.median / ref;
    return { name, stats: s, ratio, ratioOf, target, met: limit === undefined ? undefined : ratio <= limit };
  };

  // ---- 1. warm app run ----------------------------------------------------------
  if (chosen.includes('app')) {
    await racker(['pull', '-q', '--tls-verify=false', SLIM]);
    const dir = await layerDirOf('bench/debian:slim');
    const contenders = [
      { name: 'racker run --rm', run: () => racker(['run', '--rm', SLIM, '/bin/true']) },
      { name: 'systemd-nspawn (raw)', run: () => rawApp(dir, 'bench-raw-app', ['/bin/true']) },
      { name: 'sh: mount overlay, nspawn, umount', run: () => rawAppOverlay(dir, work, 'bench-raw-ovl', ['/bin/true']) },
      { name: 'node -e 0', run: () => must(process.execPath, ['-e', '0']) },
      ...(CLEAN_NODE ? [cleanNode()] : []),
    ];
    // podman and docker may be missing, or installed but unable to run here: skipped, with the error
    const skipped = {};
    const p = await podmanReady();
    if (p.why) skipped['podman run --rm'] = `skipped: ${p.why}`;
    else {
      try {
        await p.podman(['pull', '-q', '--tls-verify=false', SLIM]);
        await p.podman(['run', '--rm', '--network=host', SLIM, '/bin/true']);
        contenders.push({ name: 'podman run --rm', run: () => p.podman(['run', '--rm', '--network=host', SLIM, '/bin/true']) });
      } catch (e) { skipped['podman run --rm'] = `podman ${p.version} cannot run here — skipped: ${why(e)}`; }
    }
    dockerC ??= await startDocker(work, [registry.host], (stop) => { stopDocker = stop; }).catch(e => ({ why: why(e) }));
    const d = dockerC;
    if (d.why) skipped['docker run --rm'] = `skipped: ${d.why}`;
    else {
      try {
        await d.docker(['pull', '-q', SLIM]);
        await d.docker(['run', '--rm', '--network=host', SLIM, '/bin/true']);
        contenders.push({ name: 'docker run --rm', run: () => d.docker(['run', '--rm', '--network=host', SLIM, '/bin/true']) });
      } catch (e) { skipped['docker run --rm'] = `docker ${d.version} cannot run here — skipped: ${why(e)}`; }
    }
    const t = await alternate(contenders, RUNS);
    const raw = t['systemd-nspawn (raw)'].median;
    const node = t['node -e 0'].median;
    const rows = [
      ratioRow('racker run --rm', t['racker run --rm'], node + raw, '≤ 1.15× node+nspawn', 1.15, 'of node+nspawn'),
      { name: 'systemd-nspawn (raw)', stats: t['systemd-nspawn (raw)'], ratio: 1, ratioOf: '(reference)' },
      { name: 'node -e 0', stats: t['node -e 0'] },
      { name: 'sh: mount overlay, nspawn, umount', stats: t['sh: mount overlay, nspawn, umount'], ratio: t['sh: mount overlay, nspawn, umount'].median / raw, ratioOf: 'of raw nspawn' },
      { name: 'racker vs raw nspawn alone', value: `${(t['racker run --rm'].median / raw).toFixed(2)}×` },
      ...(CLEAN_NODE ? [
        { name: CLEAN_NODE, stats: t[CLEAN_NODE] },
        ratioRow('racker vs that node + nspawn', t['racker run --rm'], t[CLEAN_NODE].median + raw, '(the same target)', 1.15, 'of node+nspawn'),
      ] : []),
    ];
    for (const [tool, name] of [['podman', 'podman run --rm'], ['docker', 'docker run --rm']]) {
      if (t[name]) rows.push({ name, stats: t[name] }, ratioRow(`racker vs ${tool}`, t['racker run --rm'], t[name].median, `≤ 1× ${tool}`, 1, `of ${tool}`));
      else rows.push({ name, value: skipped[name] });
    }
    printTable('1. warm app run: /bin/true in Debian slim', rows);
    results.scenarios.app = rows;
  }

  // ---- 2. boot cycle -------------------------------------------------------------
  if (chosen.includes('boot')) {
    const dir = await layerDirOf('postroj/debian-bookworm');
    const cmd = ['systemctl', 'is-active', 'systemd-journald'];
    const t = await alternate([
      { name: 'racker run --rm (boot)', run: () => racker(['run', '--rm', 'debian-bookworm', ...cmd]) },
      { name: 'nspawn --boot + nsenter (raw)', run: () => rawBootCycle(dir, 'bench-raw-boot', cmd) },
    ], RUNS);
    const raw = t['nspawn --boot + nsenter (raw)'];
    const rows = [
      ratioRow('racker run --rm (boot)', t['racker run --rm (boot)'], raw.median, '≤ 1.1× raw', 1.1, 'of raw'),
      { name: 'nspawn --boot + nsenter (raw)', stats: raw, ratio: 1, ratioOf: '(reference)' },
    ];
    printTable('2. boot cycle: boot, systemctl is-active systemd-journald, power off', rows);
    results.scenarios.boot = rows;
  }

  // ---- 3. cold pull ----------------------------------------------------------------
  if (chosen.includes('pull')) {
    let dest;
    // Each contender starts with no dirty pages (an untimed sync), and nothing is
    // deleted until the scenario ends: on this VM's ext4 (mounted with `discard`)
    // creating files right after deleting a tree is 10–20× slower, which would
    // measure the disk's discards instead of the tools.
    const made = [];
    const fresh = async () => { dest = await mkdtemp(path.join(work, 'cold-')); made.push(dest); await must('sync', []); };
    const drop = async () => {};
    const contenders = [
      { name: 'racker pull', before: fresh, after: drop, run: () => must(RACKER, ['--root', dest, 'pull', '-q', '--tls-verify=false', SLIM]) },
      {
        name: 'skopeo copy + umoci unpack', before: fresh, after: drop, run: async () => {
          await must('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${SLIM}`, `oci:${dest}/oci:slim`]);
          await must('umoci', ['unpack', '--image', `${dest}/oci:slim`, `${dest}/bundle`]);
        },
      },
    ];
    const p = await podmanReady();
    if (!p.why) contenders.push({ name: 'podman pull', before: () => p.podman(['rmi', '-f', SLIM]).catch(() => undefined), run: () => p.podman(['pull', '-q', '--tls-verify=false', SLIM]) });
    const t = await alternate(contenders, RUNS);
    for (const d of made) await rm(d, { recursive: true, force: true });
    const ref = t['skopeo copy + umoci unpack'];
    const rows = [
      ratioRow('racker pull', t['racker pull'], ref.median, '≤ 0.6× skopeo+umoci', 0.6, 'of skopeo+umoci'),
      { name: 'skopeo copy + umoci unpack', stats: ref, ratio: 1, ratioOf: '(reference)' },
      { name: 'layer', value: `${(slimLayer.size / 1e6).toFixed(1)} MB gzip, ${(await stat(await debianTarball())).size / 1e6 | 0} MB tar` },
    ];
    if (t['podman pull']) rows.push({ name: 'podman pull', stats: t['podman pull'] }, ratioRow('racker vs podman pull', t['racker pull'], t['podman pull'].median, '≤ 1× podman', 1, 'of podman'));
    else rows.push({ name: 'podman pull', value: `skipped: ${p.why}` });
    printTable(`3. cold pull of a Debian image (one ${Math.round(slimLayer.size / 1e6)} MB gzip layer) from a loopback registry`, rows);
    results.scenarios.pull = rows;
  }

  // ---- 4. second image on the same base --------------------------------------------
  if (chosen.includes('share')) {
    const store = await mkdtemp(path.join(work, 'share-'));
    await must(RACKER, ['--root', store, 'pull', '-q', '--tls-verify=false', SLIM]);
    const layersBefore = (await readdir(path.join(store, 'layers'))).length;
    const offset = await registry.logSize();
    const ms = await timeIt(() => must(RACKER, ['--root', store, 'pull', '-q', '--tls-verify=false', EXTRA]));
    const gets = blobGets(await registry.logSince(offset));
    const base = gets.filter(g => g.digest === slimLayer.digest);
    const unpacked = (await readdir(path.join(store, 'layers'))).length - layersBefore;
    const rows = [
      { name: 'base layer bytes fetched', value: String(base.reduce((a, g) => a + g.bytes, 0)), target: '0', met: base.length === 0 },
      { name: 'layers unpacked (base)', value: String(Math.max(0, unpacked - 1)), target: '0', met: unpacked <= 1 },
      { name: 'new layer + config fetched', value: `${gets.length} blobs, ${gets.reduce((a, g) => a + g.bytes, 0)} bytes` },
      { name: 'racker pull (second image)', value: fmt.ms(ms) },
    ];
    printTable('4. second image sharing the base layer', rows);
    results.scenarios.share = rows;
    await rm(store, { recursive: true, force: true });
  }

  // ---- 5. scale ----------------------------------------------------------------------
  if (chosen.includes('scale')) {
    const rows = [];
    for (const n of SCALE) {
      const names = Array.from({ length: n }, (_, i) => `bench-scale-${n}-${i}`);
      try {
        const ms = await timeIt(() => Promise.all(names.map(name => racker(['run', '-d', '--name', name, 'debian-bookworm'], { timeout: 10 * 60_000 }))));
        const info = JSON.parse(String((await racker(['inspect', ...names])).stdout));
        let pss = 0, rss = 0, disk = 0;
        // the supervisor(s): nspawn's parent; one process supervises many containers, so each is counted once
        const supervisors = new Set();
        for (const c of info) {
          const tree = await processTree(c.State.NspawnPid);
          pss += tree.reduce((a, p) => a + p.pssKb, 0);
          rss += tree.reduce((a, p) => a + p.rssKb, 0);
          supervisors.add(await parentOf(c.State.NspawnPid));
          disk += Number(String((await must('du', ['-sb', c.GraphDriver.Data.UpperDir])).stdout).split('\t')[0]);
        }
        let sup = 0, supRss = 0;
        for (const pid of supervisors) {
          const [p] = await processTree(pid);
          sup += p.pssKb;
          supRss += p.rssKb;
        }
        rows.push({
          name: `N=${n}: all booted`, value: `${fmt.ms(ms)} (${fmt.ms(ms / n)} per container)`,
        }, {
          name: `N=${n}: memory per container`, value: `${(pss / n / 1024).toFixed(1)} MiB PSS (${(rss / n / 1024).toFixed(1)} MiB RSS)`,
        }, {
          name: `N=${n}: supervision per container`,
          value: `${(sup / n / 1024).toFixed(2)} MiB PSS (${supervisors.size} supervisor process(es): ${(sup / 1024).toFixed(1)} MiB PSS, ${(supRss / 1024).toFixed(1)} MiB RSS)`,
          target: '≤ 3 MiB PSS', met: sup / n / 1024 <= 3,
        }, {
          name: `N=${n}: disk per container`, value: `${(disk / n / 1024).toFixed(0)} KiB writable layer`,
        });
      } finally {
        await execa(RACKER, ['--root', root, 'rm', '-f', ...names], { reject: false, stdin: 'ignore' });
      }
    }
    printTable('5. scale: N booted containers started detached at once', rows);
    results.scenarios.scale = rows;
  }

  // ---- 6. CLI start-up ---------------------------------------------------------------
  if (chosen.includes('cli')) {
    const t = await alternate([
      { name: 'racker --version', run: () => must(RACKER, ['--version']) },
      { name: 'racker images', run: () => racker(['images']) },
      { name: 'racker ps', run: () => racker(['ps']) },
      { name: 'node -e 0', run: () => must(process.execPath, ['-e', '0']) },
      ...(CLEAN_NODE ? [cleanNode()] : []),
    ], RUNS * 2);
    const node = t['node -e 0'].median;
    const rows = [
      ...['racker --version', 'racker images', 'racker ps'].map(n => ratioRow(n, t[n], node, '≤ 1.25× node', 1.25, 'of node')),
      { name: 'node -e 0', stats: t['node -e 0'], ratio: 1, ratioOf: '(reference)' },
      ...(CLEAN_NODE ? [
        { name: CLEAN_NODE, stats: t[CLEAN_NODE] },
        ...['racker --version', 'racker images', 'racker ps'].map(n => ratioRow(`${n} vs that node`, t[n], t[CLEAN_NODE].median, '(the same target)', 1.25, 'of node')),
      ] : []),
    ];
    printTable('6. CLI start-up', rows);
    results.scenarios.cli = rows;
  }

  // ---- 7. start on a private network ------------------------------------------------
  if (chosen.includes('net')) {
    const net = `bench-net-${process.pid}`;
    await racker(['pull', '-q', '--tls-verify=false', SLIM]);
    await racker(['network', 'create', net]);
    try {
      const host = 'racker run --rm (host network)';
      const priv = `racker run --rm --network ${net}`;
      const t = await alternate([
        { name: host, run: () => racker(['run', '--rm', SLIM, '/bin/true']) },
        { name: priv, run: () => racker(['run', '--rm', '--network', net, SLIM, '/bin/true']) },
      ], RUNS);
      // the same round's two runs, paired: drift between rounds cancels out
      const diff = stats(t[priv].samples.map((ms, i) => ms - t[host].samples[i]));
      const rows = [
        { name: host, stats: t[host], ratio: 1, ratioOf: '(reference)' },
        { name: priv, stats: t[priv], ratio: t[priv].median / t[host].median, ratioOf: 'of host network' },
        { name: 'extra cost of the private network', value: `${fmt.ms(diff.median)} (${fmt.ms(diff.min)}–${fmt.ms(diff.max)}, per round)`, target: '≤ 15 ms', met: diff.median <= 15 },
      ];
      // the start alone, without the clean-up after the command: from racker's exec to the
      // container's first command, which prints the time (the same clock, to the microsecond)
      const startHost = [];
      const startPriv = [];
      const toCommand = async (args) => {
        const spawned = performance.timeOrigin + performance.now();
        const r = await racker(['run', '--rm', ...args, SLIM, 'date', '+%s%6N']);
        return Number(String(r.stdout).trim()) / 1000 - spawned;
      };
      for (let round = -1; round < RUNS; round++) {
        const h = await toCommand([]);
        const p = await toCommand(['--network', net]);
        if (round >= 0) { startHost.push(h); startPriv.push(p); }
      }
      const startDiff = stats(startPriv.map((ms, i) => ms - startHost[i]));
      rows.push(
        { name: 'to the command, host network', stats: stats(startHost) },
        { name: 'to the command, private network', stats: stats(startPriv) },
        { name: 'extra start cost, without the clean-up', value: `${fmt.ms(startDiff.median)} (${fmt.ms(startDiff.min)}–${fmt.ms(startDiff.max)}, per round)`, target: '≤ 15 ms', met: startDiff.median <= 15 },
      );
      printTable('7. start on a private network: /bin/true in Debian slim, private network vs the host\'s', rows);
      results.scenarios.net = rows;
    } finally {
      await execa(RACKER, ['--root', root, 'network', 'rm', net], { reject: false, stdin: 'ignore' });
    }
  }

  // ---- 8. throughput through a published port ---------------------------------------
  if (chosen.includes('port')) {
    const net = `bench-port-${process.pid}`;
    const name = `bench-port-${process.pid}`;
    const size = 64 * 2 ** 20;
    await racker(['pull', '-q', '--tls-verify=false', SLIM]);
    await racker(['network', 'create', net]);
    try {
      const hostPort = await freePort();
      await racker(['run', '-d', '--name', name, '--network', net, '-p', `127.0.0.1:${hostPort}:${BULK_PORT}`, SLIM, 'perl', '-e', BULK_SERVER, String(size)]);
      const [info] = JSON.parse(String((await racker(['network', 'inspect', net])).stdout));
      const ip = String(Object.values(info.Containers ?? {})[0]?.IPv4Address ?? '').split('/')[0];
      if (!ip) throw new Error(`bench: no address of ${name} in racker network inspect ${net}`);
      await waitForPort(ip, BULK_PORT);
      await waitForPort('127.0.0.1', hostPort);
      const published = `published: 127.0.0.1:${hostPort} → ${BULK_PORT}`;
      const direct = `direct: ${ip}:${BULK_PORT}`;
      const t = await alternate([
        { name: published, run: () => fetchAll('127.0.0.1', hostPort, size) },
        { name: direct, run: () => fetchAll(ip, BULK_PORT, size) },
      ], RUNS * 2);
      const mbs = (ms) => `${(size / 2 ** 20 / (ms / 1000)).toFixed(0)} MiB/s`;
      const ratio = t[direct].median / t[published].median;
      const rows = [
        { name: published, stats: t[published] },
        { name: direct, stats: t[direct] },
        { name: 'throughput, published / direct', value: `${mbs(t[published].median)} / ${mbs(t[direct].median)}`, ratio, target: '≥ 0.8×', met: ratio >= 0.8 },
      ];
      printTable(`8. one ${size / 2 ** 20} MiB HTTP answer from a container on a private network, fetched from the host`, rows);
      results.scenarios.port = rows;
    } finally {
      await execa(RACKER, ['--root', root, 'rm', '-f', name], { reject: false, stdin: 'ignore' });
      await execa(RACKER, ['--root', root, 'network', 'rm', net], { reject: false, stdin: 'ignore' });
    }
  }

  // ---- 9. a three-service compose project ---------------------------------------
  if (chosen.includes('compose')) {
    await racker(['pull', '-q', '--tls-verify=false', SLIM]);
    const dir = path.join(work, 'compose');
    await mkdir(dir, { recursive: true });
    const services = ['db', 'api', 'web'];
    await writeFile(path.join(dir, 'compose.yaml'), `services:\n${services.map((s, i) => `  ${s}:\n    image: ${SLIM}\n    command: [sleep, "600"]\n${i ? `    depends_on: [${services[i - 1]}]\n` : ''}`).join('')}`);
    const compose = (args) => racker(['compose', '-p', 'bench', '-f', path.join(dir, 'compose.yaml'), ...args]);
    const t = await alternate([
      { name: 'compose up -d --wait', run: () => compose(['up', '-d', '--wait']), after: () => compose(['down', '-t', '0']) },
      { name: 'compose down', before: () => compose(['up', '-d']), run: () => compose(['down', '-t', '0']) },
      {
        name: 'network create + racker run -d × 3', run: async () => {
          await racker(['network', 'create', 'bench-net']);
          for (const s of services) await racker(['run', '-d', '--name', `bench-${s}`, '--network', 'bench-net', SLIM, 'sleep', '600']);
        },
        after: async () => { await racker(['rm', '-f', ...services.map(s => `bench-${s}`)]); await racker(['network', 'rm', 'bench-net']); },
      },
      {
        name: 'racker rm -f × 3 + network rm',
        before: async () => {
          await racker(['network', 'create', 'bench-net']);
          for (const s of services) await racker(['run', '-d', '--name', `bench-${s}`, '--network', 'bench-net', SLIM, 'sleep', '600']);
        },
        run: async () => { for (const s of services) await racker(['rm', '-f', `bench-${s}`]); await racker(['network', 'rm', 'bench-net']); },
      },
    ], RUNS);
    const up = t['network create + racker run -d × 3'].median;
    const downRef = t['racker rm -f × 3 + network rm'].median;
    const rows = [
      ratioRow('compose up -d --wait', t['compose up -d --wait'], up, '≤ 1.5× one by one', 1.5, 'of one by one'),
      { name: 'network create + racker run -d × 3', stats: t['network create + racker run -d × 3'], ratio: 1, ratioOf: '(reference)' },
      ratioRow('compose down', t['compose down'], downRef, '≤ 1.5× one by one', 1.5, 'of one by one'),
      { name: 'racker rm -f × 3 + network rm', stats: t['racker rm -f × 3 + network rm'], ratio: 1, ratioOf: '(reference)' },
    ];
    printTable('9. compose: three services up and down', rows);
    results.scenarios.compose = rows;
  }

  await mkdir(path.join(REPO, 'bench', 'results'), { recursive: true });
  await writeFile(path.join(REPO, 'bench', 'results', 'latest.json'), JSON.stringify(results, null, 2) + '\n');
  console.log(`\nmachine: ${results.machine.cpus} × ${results.machine.cpu}, ${results.machine.memoryGiB} GiB, kernel ${results.machine.kernel}, node ${results.machine.node}, ${results.machine.systemd}`);
  console.log(`runs: ${RUNS} after one warm-up, contenders alternated; results in bench/results/latest.json`);
} finally {
  // also when a scenario fails: no container, mount, registry or file is left behind
  cleaning ??= cleanup();
  await cleaning;
}
