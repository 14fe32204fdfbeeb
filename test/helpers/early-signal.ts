import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { racker, RACKER, uniqueName } from './cli.js';
import { readProcFile } from '../../src/process.js';

/** Host pids whose command line names `--machine=NAME`: the container's systemd-nspawn. */
export async function nspawnOf(machine: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter(e => /^\d+$/.test(e));
  const named = await Promise.all(pids.map(async p => (await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')).split('\0').includes(`--machine=${machine}`)));
  return pids.filter((_, i) => named[i]).map(Number);
}

/** Resolves when a container's folder appears in the store: racker has begun to make it. */
function recordAppears(containersDir: string): { seen: Promise<void>; close(): void } {
  let close = () => undefined as void;
  const seen = new Promise<void>(resolve => {
    const w = watch(containersDir, (_event, file) => { if (/^[a-f0-9]{64}$/.test(String(file))) resolve(); });
    close = () => w.close();
  });
  return { seen, close };
}

/** Resolves when the container's systemd-nspawn runs, or once `gone()` says racker has exited. */
export async function nspawnAppears(machine: string, gone: () => boolean): Promise<void> {
  while (!gone() && (await nspawnOf(machine)).length === 0) await new Promise(r => setImmediate(r));
}

/**
 * `racker run --rm --name NAME ARGS…` gets `sig` the moment `trigger` sees its event: the
 * container's folder appearing in the store (`record`), or its systemd-nspawn running
 * (`nspawn`). Returns what was wrong: racker's exit (docker's 128+n expected), a systemd-nspawn,
 * a mount or a container folder left behind (each then removed, so the next run starts clean).
 * The store root's containers folder must exist.
 */
export async function signalEarly(root: string, sig: NodeJS.Signals, trigger: 'record' | 'nspawn', args: string[]): Promise<string[]> {
  const containersDir = path.join(root, 'containers');
  const name = uniqueName('early');
  const before = new Set(await readdir(containersDir));
  const record = trigger === 'record' ? recordAppears(containersDir) : undefined;
  const child = spawn(RACKER, ['--root', root, 'run', '--rm', '--name', name, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  let done = false;
  // 'exit', not 'close': a systemd-nspawn left running would hold racker's pipes open
  const exited = new Promise<string>(resolve => child.once('exit', (code, signal) => { done = true; resolve(code === null ? `killed by ${signal}` : `exit ${code}`); }));
  const problems: string[] = [];
  try {
    await Promise.race([record ? record.seen : nspawnAppears(name, () => done), exited]);
    child.kill(sig);
    const how = await exited;
    const want = `exit ${sig === 'SIGINT' ? 130 : 143}`;
    if (how !== want) problems.push(`racker: ${how}, not ${want} (${stderr.trim().split('\n').pop()})`);
  } finally {
    record?.close();
    if (!done) { child.kill('SIGKILL'); await exited; }
    const nspawn = await nspawnOf(name);
    if (nspawn.length) problems.push(`systemd-nspawn still runs: ${nspawn.join(' ')}`);
    const left = (await readdir(containersDir)).filter(e => !before.has(e));
    if (left.length) problems.push(`container record left: ${left.join(' ')}`);
    const mounts = (await readProcFile('/proc/self/mounts')).split('\n').filter(l => l.includes(root));
    if (mounts.length) problems.push(`mounts left: ${mounts.join('; ')}`);
    if (nspawn.length || left.length || mounts.length) {
      for (const pid of nspawn) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      await racker(root, ['rm', '-f', name]);
      for (const e of left) await execa('umount', [path.join(containersDir, e, 'rootfs')], { reject: false });
      for (const e of left) await rm(path.join(containersDir, e), { recursive: true, force: true });
    }
  }
  return problems.map(p => `${sig} at ${trigger}: ${p}`);
}
