// The references: what a user of the raw tools would run for the same result.
import { readFile, readdir, readlink } from 'node:fs/promises';
import { execa } from 'execa';

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The flags racker passes (see `racker --debug run`), on a throwaway overlay nspawn makes itself. */
export function rawAppArgs(dir, name, argv) {
  return ['--quiet', `--directory=${dir}`, '--volatile=overlay', `--machine=${name}`, '--resolv-conf=off', '--timezone=off',
    '--link-journal=no', '--console=pipe', '--register=no', '--keep-unit', '--kill-signal=SIGTERM', `--hostname=${name}`,
    '--chdir=/', `--setenv=${PATH_ENV}`, `--setenv=HOSTNAME=${name}`, '--', ...argv];
}

export async function rawApp(dir, name, argv) {
  const r = await execa('systemd-nspawn', rawAppArgs(dir, name, argv), { stdin: 'ignore', reject: false });
  if (r.exitCode !== 0) throw new Error(`raw nspawn exited ${r.exitCode}: ${r.stderr}`);
}

/**
 * The same with the overlay racker mounts itself (lower = the image's layer,
 * upper and work dirs on disk), as a shell script: mkdir, mount, nspawn, umount, rm.
 */
export async function rawAppOverlay(lower, scratch, name, argv) {
  const script = 'set -e; d=$(mktemp -d "$1/ov.XXXXXX"); mkdir "$d/upper" "$d/work" "$d/rootfs"; ' +
    'mount -t overlay overlay -o "lowerdir=$2,upperdir=$d/upper,workdir=$d/work" "$d/rootfs"; shift 2; ' +
    'st=0; systemd-nspawn "--directory=$d/rootfs" "$@" || st=$?; umount "$d/rootfs"; rm -rf "$d"; exit $st';
  const flags = rawAppArgs('X', name, argv).filter(a => !a.startsWith('--directory=') && a !== '--volatile=overlay');
  const r = await execa('sh', ['-c', script, 'sh', scratch, lower, ...flags], { stdin: 'ignore', reject: false });
  if (r.exitCode !== 0) throw new Error(`raw overlay + nspawn exited ${r.exitCode}: ${r.stderr}`);
}

async function leaderOf(pid) {
  const own = await readlink('/proc/self/ns/pid');
  for (const t of await readdir(`/proc/${pid}/task`).catch(() => [])) {
    const kids = (await readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '')).split(' ').filter(Boolean);
    for (const k of kids) if ((await readlink(`/proc/${k}/ns/pid`).catch(() => own)) !== own) return Number(k);
  }
  return undefined;
}

const sleep = (ms) => new Promise(r => setTimeout(r, ms));

/**
 * Boot, wait for systemd, run one command through nsenter, power off: the
 * shortest honest script a raw systemd-nspawn user would write. It asks
 * systemd as often as racker does (every 30 ms): a slower poll would count
 * late answers against the reference.
 */
export async function rawBootCycle(dir, name, argv) {
  const nspawn = execa('systemd-nspawn', ['--quiet', `--directory=${dir}`, '--volatile=overlay', `--machine=${name}`, '--resolv-conf=off',
    '--timezone=off', '--link-journal=no', '--console=pipe', '--boot', '--register=no', '--keep-unit', `--hostname=${name}`],
  { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore', reject: false });
  try {
    let leader;
    for (let i = 0; i < 3000 && !leader; i++) { leader = await leaderOf(nspawn.pid); if (!leader) await sleep(10); }
    if (!leader) throw new Error('raw boot: no leader');
    for (let i = 0; ; i++) {
      const r = await execa('nsenter', ['--target', String(leader), '--all', '--', 'systemctl', 'is-system-running'], { reject: false, stdin: 'ignore' });
      const state = String(r.stdout).trim();
      if (state === 'running' || state === 'degraded') break;
      if (i > 2000) throw new Error(`raw boot: state ${state}`);
      await sleep(30);
    }
    const r = await execa('nsenter', ['--target', String(leader), '--all', '--', ...argv], { reject: false, stdin: 'ignore' });
    if (r.exitCode !== 0) throw new Error(`raw boot: ${argv.join(' ')} exited ${r.exitCode}`);
  } finally {
    nspawn.kill('SIGTERM');
    await nspawn;
  }
}

/** nspawn and every process below it: [{ pid, rssKb, pssKb }]. */
export async function processTree(root) {
  const children = new Map();
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(p));
  }
  const out = [];
  const walk = async (pid) => {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
    out.push({ pid, rssKb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0), pssKb: Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0) });
    for (const c of children.get(pid) ?? []) await walk(c);
  };
  await walk(root);
  return out;
}

export async function parentOf(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}
