// docker and podman as contenders, each with private state under the bench's
// temporary directory so nothing of the host's is used or changed: a dockerd
// of its own (data, exec root, socket, pid file, key, cgroup parent), and
// podman with a bench-private containers.conf and storage.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { access, mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { must } from './measure.mjs';

const sleep = (ms) => new Promise(r => setTimeout(r, ms));
const exists = (p) => access(p).then(() => true, () => false);
const lastLine = (s) => String(s ?? '').trim().split('\n').pop();

/** Processes whose command line mentions `dir` (dockerd's containerd and shims), by pid. */
async function processesUnder(dir) {
  const pids = [];
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    const cmd = await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
    if (cmd.split('\0').some(a => a.includes(dir))) pids.push(Number(p));
  }
  return pids;
}

async function unmountUnder(dir) {
  const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n').map(l => l.split(' ')[1]).filter(m => m?.startsWith(dir + '/'));
  for (const m of mounts.reverse()) await execa('umount', ['-l', m], { reject: false });
}

/** Remove the cgroup `name` (and its empty children) from every v1 hierarchy and the unified one. */
async function removeCgroup(name) {
  const drop = async (dir) => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) await drop(path.join(dir, e.name));
    await rmdir(dir).catch(() => undefined);
  };
  const hierarchies = await readdir('/sys/fs/cgroup').catch(() => []);
  await drop(path.join('/sys/fs/cgroup', name));
  for (const h of hierarchies) await drop(path.join('/sys/fs/cgroup', h, name));
}

/** The `docker` client of the same version as dockerd (Debian's), else the first on PATH. */
async function dockerClient(serverVersion) {
  const found = [];
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    const bin = path.join(dir, 'docker');
    if (found.includes(bin) || !(await exists(bin))) continue;
    found.push(bin);
    const v = await execa(bin, ['--version'], { reject: false });
    if (String(v.stdout).includes(serverVersion)) return bin;
  }
  return found[0] ?? 'docker';
}

/**
 * A private dockerd: no iptables, no bridge, no IP forwarding; `insecure` lists
 * the loopback registry. Returns { docker(args), version, stop() } or throws
 * with the reason it cannot run here. `track(stop)` learns how to stop it as
 * soon as the daemon is started (a Ctrl-C may come before it answers).
 */
export async function startDocker(work, insecure, track = () => {}) {
  const v = await execa('dockerd', ['--version'], { reject: false });
  if (v.exitCode !== 0) throw new Error(v.code === 'ENOENT' ? 'dockerd not installed' : lastLine(v.stderr));
  const version = /version ([^,\s]+)/.exec(String(v.stdout))?.[1] ?? '?';
  const dir = path.join(work, 'docker');
  const sock = path.join(dir, 'docker.sock');
  const cgroup = `racker-bench-${process.pid}-docker`;
  const madeRunDocker = !(await exists('/run/docker'));
  await mkdir(path.join(dir, 'client'), { recursive: true });
  await writeFile(path.join(dir, 'daemon.json'), JSON.stringify({ 'insecure-registries': insecure, 'deprecated-key-path': path.join(dir, 'key.json') }));
  const log = openSync(path.join(dir, 'dockerd.log'), 'a');
  const daemon = spawn('dockerd', [
    `--config-file=${path.join(dir, 'daemon.json')}`, `--data-root=${path.join(dir, 'data')}`, `--exec-root=${path.join(dir, 'exec')}`,
    `--pidfile=${path.join(dir, 'dockerd.pid')}`, '-H', `unix://${sock}`, '--iptables=false', '--ip-forward=false', '--ip-masq=false',
    '--bridge=none', '--userland-proxy=false', `--cgroup-parent=/${cgroup}`, '--log-level=error',
  ], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise(resolve => { daemon.once('exit', resolve); daemon.once('error', resolve); });
  const env = { ...process.env, DOCKER_CONFIG: path.join(dir, 'client') };
  const client = await dockerClient(version);
  const docker = (args, opts = {}) => must(client, ['-H', `unix://${sock}`, ...args], { env, ...opts });

  let stopped;
  const stop = () => stopped ??= (async () => {
    if (daemon.exitCode === null && daemon.signalCode === null) {
      daemon.kill('SIGTERM');
      if (await Promise.race([exited.then(() => true), sleep(20_000).then(() => false)]) === false) { daemon.kill('SIGKILL'); await exited; }
    }
    for (const pid of await processesUnder(dir)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    await unmountUnder(dir);
    await removeCgroup(cgroup);
    if (madeRunDocker) {
      await rmdir('/run/docker/plugins').catch(() => undefined);
      await rmdir('/run/docker').catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
  })();

  track(stop);
  for (let i = 0; ; i++) {
    const r = await execa(client, ['-H', `unix://${sock}`, 'version', '--format', '{{.Server.Version}}'], { env, reject: false, stdin: 'ignore' });
    if (r.exitCode === 0) break;
    if (daemon.exitCode !== null || i >= 150) {
      const why = lastLine(await readFile(path.join(dir, 'dockerd.log'), 'utf8').catch(() => '')) || lastLine(r.stderr);
      await stop();
      throw new Error(`dockerd did not start: ${why}`);
    }
    await sleep(200);
  }
  return { docker, version, stop };
}

/**
 * podman with runc, no default ulimits (crun's setrlimit is refused in these
 * VMs), cgroupfs, file events, and all of its state under `work`. Returns
 * { podman(args), version, stop() } or throws when podman is not installed.
 */
export async function setUpPodman(work) {
  const v = await execa('podman', ['--version'], { reject: false });
  if (v.exitCode !== 0) throw new Error(v.code === 'ENOENT' ? 'podman not installed' : lastLine(v.stderr));
  const version = lastLine(v.stdout).replace(/^podman version /, '');
  const dir = path.join(work, 'podman');
  const cgroup = `racker-bench-${process.pid}-podman`;
  await mkdir(path.join(dir, 'tmp'), { recursive: true });
  const q = (p) => JSON.stringify(path.join(dir, p));
  await writeFile(path.join(dir, 'containers.conf'), [
    '[containers]', 'default_ulimits = []', '',
    '[engine]', 'runtime = "runc"', 'cgroup_manager = "cgroupfs"', 'events_logger = "file"',
    `events_logfile_path = ${q('events.log')}`, `tmp_dir = ${q('tmp')}`, `volume_path = ${q('volumes')}`, `static_dir = ${q('root/libpod')}`, '',
    '[network]', `network_config_dir = ${q('networks')}`, '',
  ].join('\n'));
  await writeFile(path.join(dir, 'storage.conf'), ['[storage]', 'driver = "overlay"', `graphroot = ${q('root')}`, `runroot = ${q('run')}`, ''].join('\n'));
  const env = { ...process.env, CONTAINERS_CONF: path.join(dir, 'containers.conf'), CONTAINERS_STORAGE_CONF: path.join(dir, 'storage.conf') };
  const flags = ['--root', path.join(dir, 'root'), '--runroot', path.join(dir, 'run'), '--cgroup-manager', 'cgroupfs'];
  const podman = (args, opts = {}) => {
    // a run's containers go below a cgroup of the bench's own, removed at the end
    const extra = args[0] === 'run' ? ['run', `--cgroup-parent=/${cgroup}`, ...args.slice(1)] : args;
    return must('podman', [...flags, ...extra], { env, ...opts });
  };
  let stopped;
  const stop = () => stopped ??= (async () => {
    await execa('podman', [...flags, 'rm', '-af'], { env, reject: false, stdin: 'ignore' });
    await unmountUnder(dir);
    await removeCgroup(cgroup);
    await rm(dir, { recursive: true, force: true });
  })();
  return { podman, version, stop };
}
