import { readFile, readdir, readlink, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { readProcFile, runAllowFail } from '../../src/process.js';

/**
 * What a test sees of a container from the host, by walking /proc: its PID 1,
 * the processes in its PID namespace, its supervisor, its mount. No pgrep.
 */
export interface Leader {
  pid: number;
  pidns: string;
  start: string;
  /** held open so the namespace's inode number cannot be reused while the test looks at it */
  pin: FileHandle;
}

async function stat(pid: number): Promise<{ state: string; start: string } | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!text) return undefined;
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: f[0], start: f[19] };
}

async function alive(pid: number, start: string): Promise<boolean> {
  const s = await stat(pid);
  return !!s && s.start === start && s.state !== 'Z' && s.state !== 'X';
}

/** systemd-nspawn's child in another PID namespace: the container's PID 1. */
export async function leaderOf(nspawnPid: number): Promise<Leader | undefined> {
  const own = await readlink('/proc/self/ns/pid');
  for (const task of await readdir(`/proc/${nspawnPid}/task`).catch(() => [] as string[])) {
    const children = await readFile(`/proc/${nspawnPid}/task/${task}/children`, 'utf8').catch(() => '');
    for (const pid of children.split(' ').filter(Boolean).map(Number)) {
      const pidns = await readlink(`/proc/${pid}/ns/pid`).catch(() => own);
      const s = await stat(pid);
      if (pidns === own || !s) continue;
      const pin = await open(`/proc/${pid}/ns/pid`, 'r');
      return { pid, pidns, start: s.start, pin };
    }
  }
  return undefined;
}

/** Live (not zombie) processes in the leader's PID namespace. */
export async function membersOf(leader: Leader): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const ns = await readlink(`/proc/${e}/ns/pid`).catch(() => '');
    if (ns !== leader.pidns) continue;
    const s = await stat(Number(e));
    if (s && s.state !== 'Z' && s.state !== 'X') out.push(Number(e));
  }
  return out;
}

/** racker supervisor processes of this store root. */
export async function supervisorsOf(root: string): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const argv = (await readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => '')).split('\0');
    const s = await stat(Number(e));
    if (argv.includes(root) && argv.some(a => a.endsWith('supervisor-main.js')) && s && s.state !== 'Z') out.push(Number(e));
  }
  return out;
}

export async function mountsUnder(dir: string): Promise<string[]> {
  return (await readProcFile('/proc/self/mountinfo')).split('\n').map(l => l.split(' ')[4] ?? '').filter(m => m.startsWith(dir));
}

export async function recordOf(root: string, id: string): Promise<{ name: string; state: { status: string; exitCode?: number; nspawnPid?: number } }> {
  return JSON.parse(await readFile(path.join(root, 'containers', id, 'config.json'), 'utf8'));
}

/** The container's record by name. */
export async function idOf(root: string, name: string): Promise<string | undefined> {
  for (const id of await readdir(path.join(root, 'containers')).catch(() => [] as string[])) {
    const rec = await recordOf(root, id).catch(() => undefined);
    if (rec?.name === name) return id;
  }
  return undefined;
}

/** Cleanup for tests: SIGKILL the root's supervisors, lazily unmount what is under it; the mounts still there come back. */
export async function sweepRoot(root: string): Promise<string[]> {
  for (const pid of await supervisorsOf(root)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  for (const m of (await mountsUnder(root)).reverse()) await runAllowFail('umount', ['--lazy', m]);
  return mountsUnder(root);
}

/** Cleanup for tests: SIGKILL a leader that is still the same process, and close its pin. */
export async function killLeader(leader: Leader): Promise<void> {
  if (await alive(leader.pid, leader.start)) {
    try { process.kill(leader.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  for (let i = 0; i < 100 && (await membersOf(leader)).length; i++) await new Promise(r => setTimeout(r, 50));
  await leader.pin.close().catch(() => undefined);
}

export async function until(what: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await what()) return true;
    if (Date.now() > deadline) return false;
    await new Promise(r => setTimeout(r, 100));
  }
}
