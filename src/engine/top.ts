import { readFile, readlink } from 'node:fs/promises';
import { containerLeader } from '../runtime/host.js';
import { namespaceMembers } from '../runtime/pid-namespace.js';
import type { ContainerRecord } from '../model/container.js';
import { cleanText } from '../untrusted.js';

/** `compose top`: the processes in a running container's PID namespace, host pids, their command lines (cleaned: they are the container's). */
export async function processesOf(now: ContainerRecord): Promise<{ pid: number; cmd: string }[]> {
  const leader = now.state.status === 'running' && now.state.nspawnPid ? await containerLeader(now.state.nspawnPid) : undefined;
  if (!leader) return [];
  const pidns = now.state.leader?.pidns ?? await readlink(`/proc/${leader}/ns/pid`).catch(() => '');
  if (!pidns) return [];
  const out: { pid: number; cmd: string }[] = [];
  for (const pid of (await namespaceMembers(pidns)).sort((a, b) => a - b)) {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const cmd = raw ? raw.replace(/\0+$/, '').split('\0').join(' ') : await readFile(`/proc/${pid}/comm`, 'utf8').then(s => `[${s.trim()}]`).catch(() => '');
    if (cmd) out.push({ pid, cmd: cleanText(cmd).slice(0, 400) });
  }
  return out;
}
