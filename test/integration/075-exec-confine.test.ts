import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { POSTROJ, RACKER, REPO, racker, tempRoot, uniqueName } from '../helpers/cli.js';
import { DEBIAN_MIRROR, MIRROR_CACHE } from '../helpers/debian.js';
import { supervisorsOf, until } from '../helpers/pidns.js';
import { busyboxLayer } from '../helpers/fixture-images.js';
import { writeOciLayout } from '../helpers/oci-layout.js';
import { pushLayout } from '../helpers/registry.js';
import { buildLayer } from '../helpers/tar-builder.js';

/**
 * Processes racker starts in a running container (exec, health checks) are
 * confined as the container's own payload: capability sets, seccomp,
 * no_new_privs, cgroups (and so its limits), user. Before, they ran with the
 * host's full privileges outside the container's cgroup (a bare nsenter).
 */
const reg = inject('registry');
const BUSYBOX = `${reg}/fixtures/busybox:latest`;
/** busybox with a user 1000 in a supplementary group, and a getent (nspawn switches users with the image's getent) */
const USERS = `${reg}/fixtures/busybox-users:latest`;
let t: Awaited<ReturnType<typeof tempRoot>>;
const names: string[] = [];
const rk = (args: string[], opts = {}) => racker(t.root, args, opts);

function name(prefix: string): string {
  const n = uniqueName(prefix);
  names.push(n);
  return n;
}

const GETENT = `#!/bin/sh
case "$1" in
  passwd|group) exec awk -F: -v k="$2" '$1 == k || $3 == k' "/etc/$1" ;;
  initgroups) exec awk -F: -v u="$2" 'BEGIN { printf "%s", u } { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) printf " %s", $3 } END { print "" }' /etc/group ;;
esac
exit 2
`;

beforeAll(async () => {
  t = await tempRoot('confine');
  const dir = await mkdtemp(path.join(tmpdir(), 'racker-test-confine-image-'));
  try {
    const users = buildLayer([
      { type: 'symlink', name: 'bin/awk', target: 'busybox' },
      { type: 'dir', name: 'usr/' },
      { type: 'dir', name: 'usr/bin/' },
      { type: 'file', name: 'usr/bin/getent', body: GETENT, mode: 0o755 },
      { type: 'file', name: 'etc/passwd', body: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' },
      { type: 'file', name: 'etc/group', body: 'root:x:0:\napp:x:1000:\nextra:x:2000:app\nnogroup:x:65534:\n' },
    ]);
    await writeOciLayout(dir, { layers: [busyboxLayer(), users], config: { Cmd: ['sh'] }, tag: 'latest' });
    await pushLayout({ host: reg, storageDir: inject('registryStorage') } as never, dir, 'latest', 'fixtures/busybox-users:latest');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  for (const image of [BUSYBOX, USERS]) expect((await rk(['pull', '-q', '--tls-verify=false', image])).exitCode).toBe(0);
});

afterAll(async () => {
  for (const n of names) await rk(['rm', '-f', n]);
  await t.remove();
});

const CONFINEMENT = ['Uid', 'Gid', 'Groups', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Seccomp', 'Seccomp_filters'];

/** The confinement lines of a /proc/PID/status, and the cgroup lines after them. */
function confinement(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_]+):\s*(.*)$/.exec(line);
    if (m && CONFINEMENT.includes(m[1])) out[m[1]] = m[2].trim();
    const cg = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (cg) out[`cgroup ${cg[1]}:${cg[2]}`] = cg[3];
  }
  return out;
}

/** What the container's own payload (PID 1) has, read from inside. */
async function payloadOf(n: string): Promise<Record<string, string>> {
  const r = await rk(['exec', n, 'cat', '/proc/1/status', '/proc/1/cgroup']);
  expect(r.exitCode, r.stderr).toBe(0);
  return confinement(r.stdout);
}

describe('racker exec is confined as the container', () => {
  const cases: [string, string, string[]][] = [
    ['--cap-drop ALL --pids-limit', BUSYBOX, ['--cap-drop', 'ALL', '--pids-limit', '12']],
    ['defaults', BUSYBOX, []],
    ['-u 1000', USERS, ['-u', '1000']],
    ['--security-opt no-new-privileges', BUSYBOX, ['--security-opt', 'no-new-privileges']],
    ['--cap-add NET_ADMIN -u app', USERS, ['--cap-add', 'NET_ADMIN', '-u', 'app']],
  ];
  for (const [label, image, flags] of cases) {
    it(`${label}: capabilities, seccomp, no_new_privs, user and cgroups equal the payload's`, async () => {
      const n = name('confine');
      const r = await rk(['run', '-d', '--name', n, ...flags, image, 'sleep', '300']);
      expect(r.exitCode, r.stderr).toBe(0);
      const payload = await payloadOf(n);
      expect(payload.Seccomp).toBe('2');
      const exec = await rk(['exec', n, 'cat', '/proc/self/status', '/proc/self/cgroup']);
      expect(exec.exitCode, exec.stderr).toBe(0);
      expect(confinement(exec.stdout)).toEqual(payload);
    });
  }

  it('exec -u gets the user\'s ids and groups and nothing the container does not grant', async () => {
    const n = name('user');
    expect((await rk(['run', '-d', '--name', n, USERS, 'sleep', '300'])).exitCode).toBe(0);
    const payload = await payloadOf(n);
    const exec = confinement((await rk(['exec', '-u', 'app', n, 'cat', '/proc/self/status'])).stdout);
    expect(exec).toMatchObject({ Uid: '1000\t1000\t1000\t1000', Gid: '1000\t1000\t1000\t1000', Groups: '2000', CapPrm: '0000000000000000', CapEff: '0000000000000000' });
    expect(exec.CapBnd).toBe(payload.CapBnd);
    expect(exec.Seccomp_filters).toBe(payload.Seccomp_filters);
  });

  it('--pids-limit applies to exec\'d processes', async () => {
    const n = name('pids');
    expect((await rk(['run', '-d', '--name', n, '--pids-limit', '6', BUSYBOX, 'sleep', '300'])).exitCode).toBe(0);
    // 20 background sleeps: only a few fit under the limit
    const r = await rk(['exec', n, 'sh', '-c', 'ok=0; for i in $(seq 20); do if sleep 60 >/dev/null 2>&1 & then ok=$((ok+1)); fi; done; echo started $ok']);
    expect(r.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
  });

  it('a --cap-drop ALL container\'s exec can neither mknod nor chown', async () => {
    const n = name('nocaps');
    expect((await rk(['run', '-d', '--name', n, '--cap-drop', 'ALL', BUSYBOX, 'sleep', '300'])).exitCode).toBe(0);
    expect((await rk(['exec', n, 'busybox', 'mknod', '/tmp/mem', 'c', '1', '1'])).exitCode).not.toBe(0);
    expect((await rk(['exec', n, 'sh', '-c', 'touch /tmp/f && busybox chown 1:1 /tmp/f'])).exitCode).not.toBe(0);
    expect((await rk(['exec', n, 'ls', '/tmp'])).stdout).toBe('f');
  });

  it('keeps docker\'s exit codes: 127 not found, 126 cannot invoke or no working directory', async () => {
    const n = name('codes');
    expect((await rk(['run', '-d', '--name', n, '--cap-drop', 'ALL', BUSYBOX, 'sleep', '300'])).exitCode).toBe(0);
    const nf = await rk(['exec', n, 'no-such-command']);
    expect(nf.exitCode).toBe(127);
    expect(nf.stderr).toContain('executable file not found');
    expect((await rk(['exec', n, '/etc/passwd'])).exitCode).toBe(126);
    expect((await rk(['exec', '-w', '/no/such/dir', n, 'true'])).exitCode).toBe(126);
    expect((await rk(['exec', n, 'sh', '-c', 'exit 7'])).exitCode).toBe(7);
  });
});

/** The outputs of the health log, oldest first. */
async function healthLog(n: string): Promise<string[]> {
  const r = await rk(['inspect', n]);
  const [doc] = JSON.parse(r.stdout) as { State: { Health?: { Log: { Output: string }[] } } }[];
  return doc.State.Health?.Log.map(l => l.Output) ?? [];
}

/** Host processes running racker-enter whose argv ends with `tail`. */
function helpersRunning(tail: string[]): number[] {
  const enter = path.join(REPO, 'dist/native/racker-enter');
  return readdirSync('/proc').filter(p => /^\d+$/.test(p)).flatMap(p => {
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').slice(0, -1);
      return argv[0] === enter && argv.slice(-tail.length).join(' ') === tail.join(' ') ? [Number(p)] : [];
    } catch {
      return [];
    }
  });
}

describe('the helper itself', () => {
  it('runs from a sealed copy: "#!/proc/self/exe" in the container cannot reach the host\'s binary (CVE-2019-5736)', async () => {
    const n = name('selfexe');
    expect((await rk(['run', '-d', '--name', n, BUSYBOX, 'sleep', '300'])).exitCode).toBe(0);
    const marker = ['sleep', String(200 + Math.floor(Math.random() * 100))];
    const exec = racker(t.root, ['exec', n, ...marker]);
    try {
      let pids: number[] = [];
      expect(await until(async () => (pids = helpersRunning(marker)).length > 0, 30_000)).toBe(true);
      for (const pid of pids) expect(readlinkSync(`/proc/${pid}/exe`)).toMatch(/^\/memfd:racker-enter/);
    } finally {
      await rk(['rm', '-f', n]);
      await exec;
    }
  });
});

/** A shared object that leaves a mark on the host when a host process loads it. */
const PRELOAD = `#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void mark(void) {
  int fd = open(MARK_PATH, O_WRONLY | O_CREAT, 0600);
  if (fd >= 0) close(fd);
}
`;

describe('the container\'s environment never reaches the host side', () => {
  it('an image\'s LD_PRELOAD is not loaded by the host-side helper on exec or health checks (host root before)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'racker-test-preload-'));
    try {
      const mark = path.join(dir, 'loaded-on-the-host');
      const so = path.join(dir, 'evil.so');
      await writeFile(path.join(dir, 'evil.c'), PRELOAD);
      await execa('gcc', ['-shared', '-fPIC', `-DMARK_PATH=${JSON.stringify(mark)}`, '-o', so, path.join(dir, 'evil.c')]);
      const n = name('preload');
      // as an image's ENV would set it (a path in the store's layers in the real attack); -e is the same for the helper
      const r = await rk(['run', '-d', '--name', n, '-e', `LD_PRELOAD=${so}`, '-e', 'GLIBC_TUNABLES=glibc.malloc.check=3',
        '--health-cmd', 'true', '--health-interval', '1s', BUSYBOX, 'sleep', '300']);
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      const exec = await rk(['exec', n, 'sh', '-c', 'echo "$LD_PRELOAD"']);
      expect(exec.exitCode).toBe(0);
      // the command itself still gets the container's whole environment
      expect(exec.stdout).toBe(so);
      // a health check ran in the meantime (the event: its result in the record)
      expect(await until(async () => /"ExitCode":\s*0/.test((await rk(['inspect', '-f', '{{json .State.Health.Log}}', n])).stdout), 60_000)).toBe(true);
      expect(readdirSync(dir).sort()).toEqual(['evil.c', 'evil.so']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Runs argv under an allow-all seccomp filter: racker as if inside a container of its own. */
const UNDER_FILTER = `#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
  struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
  struct sock_fprog prog = { 1, allow };
  if (argc < 2 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) return 99;
  execv(argv[1], argv + 1);
  return 98;
}
`;

describe('racker under a seccomp filter of its own', () => {
  it('refuses to run the command (it cannot read the container\'s filter) unless RACKER_NESTED_SECCOMP=inherit', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'racker-test-underfilter-'));
    try {
      await writeFile(path.join(dir, 'under-filter.c'), UNDER_FILTER);
      await execa('cc', ['-o', path.join(dir, 'under-filter'), path.join(dir, 'under-filter.c')]);
      const n = name('nested');
      expect((await rk(['run', '-d', '--name', n, BUSYBOX, 'sleep', '300'])).exitCode).toBe(0);
      const nested = (env: Record<string, string>) => execa(path.join(dir, 'under-filter'), [RACKER, '--root', t.root, 'exec', n, 'cat', '/proc/self/status'],
        { reject: false, stdin: 'ignore', env: { ...process.env, ...env } });
      const refused = await nested({ RACKER_NESTED_SECCOMP: '' });
      expect(refused.exitCode).toBe(125);
      expect(refused.stderr).toMatch(/cannot confine the command: racker runs under a seccomp filter itself/);
      const inherited = await nested({ RACKER_NESTED_SECCOMP: 'inherit' });
      expect(inherited.exitCode, inherited.stderr).toBe(0);
      expect(confinement(inherited.stdout).Seccomp).toBe('2');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('health checks are confined as racker exec', () => {
  it('records the payload\'s capabilities, seccomp and cgroups in the health log', async () => {
    const n = name('health');
    expect((await rk(['run', '-d', '--name', n, '--cap-drop', 'ALL', '--pids-limit', '12', '--health-cmd', 'cat /proc/self/status /proc/self/cgroup',
      '--health-interval', '300ms', BUSYBOX, 'sleep', '300'])).exitCode).toBe(0);
    let output = '';
    expect(await until(async () => {
      output = (await healthLog(n))[0] ?? '';
      return output !== '';
    }, 60_000)).toBe(true);
    expect(confinement(output)).toEqual(await payloadOf(n));
  });

  it('a check printing 100 MB keeps 4096 bytes and the supervisor stays small', async () => {
    const n = name('chatty');
    expect((await rk(['run', '-d', '--name', n, '--health-cmd', 'busybox yes | head -c 100000000; echo done >> /tmp/checks',
      '--health-interval', '200ms', BUSYBOX, 'sleep', '300'])).exitCode).toBe(0);
    let outputs: string[] = [];
    expect(await until(async () => {
      outputs = await healthLog(n);
      return outputs.length >= 2;
    }, 120_000)).toBe(true);
    for (const o of outputs) expect(Buffer.byteLength(o)).toBeLessThanOrEqual(4096);
    expect(outputs[0]).toMatch(/^(y\n)+/);
    const [sup] = await supervisorsOf(t.root);
    expect(sup).toBeDefined();
    const status = readFileSync(`/proc/${sup}/status`, 'utf8');
    const hwmKiB = Number(/VmHWM:\s*(\d+) kB/.exec(status)?.[1]);
    expect(hwmKiB).toBeGreaterThan(0);
    expect(hwmKiB / 1024).toBeLessThan(150);
  });
});

/** A /bin/sh that records how it was run and with what confinement, then runs dash: what a hostile container could put there. */
const SH_SPY = `#!/bin/dash
{ echo "argv: $*"; cat /proc/self/status /proc/self/cgroup; } > /run/sh-spy.$$ 2>/dev/null
exec /bin/dash "$@"
`;

describe('booted containers', () => {
  beforeAll(async () => {
    const env = { ...process.env, RACKER_MIRROR_CACHE: path.join(MIRROR_CACHE, 'mirror') };
    const r = await execa(POSTROJ, ['--root', t.root, 'pull', 'debian-bookworm', '--source', 'mirror', '--mirror', DEBIAN_MIRROR],
      { reject: false, env, stdin: 'ignore', timeout: 20 * 60_000 });
    expect(r.stdout + r.stderr).toContain('debian-bookworm: ready');
  }, 20 * 60_000);

  it('the command -v probe (the container\'s /bin/sh) and exec run with the container\'s confinement', async () => {
    const n = name('boot');
    const r = await rk(['run', '-d', '--name', n, '--cap-drop', 'MKNOD', 'debian-bookworm'], { timeout: 180_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const pid1 = await payloadOf(n);
    expect(pid1.Seccomp).toBe('2');
    // the container replaces its /bin/sh; racker's probe runs it on the next exec
    const spy = await rk(['exec', '-i', n, 'sh', '-c', 'cat > /bin/sh.spy && chmod 755 /bin/sh.spy && mv /bin/sh.spy /bin/sh'], { input: SH_SPY });
    expect(spy.exitCode, spy.stderr).toBe(0);
    const exec = await rk(['exec', n, 'cat', '/proc/self/status']);
    expect(exec.exitCode, exec.stderr).toBe(0);
    const records = (await rk(['exec', n, 'find', '/run', '-maxdepth', '1', '-name', 'sh-spy.*', '-exec', 'cat', '{}', ';'])).stdout
      .split(/^(?=argv: )/m).filter(Boolean);
    const probes = records.filter(rec => rec.includes('command -v'));
    expect(probes.length).toBeGreaterThan(0);
    const same = (c: Record<string, string>) => ['CapBnd', 'CapPrm', 'CapEff', 'CapAmb', 'NoNewPrivs', 'Seccomp', 'Seccomp_filters'].map(k => [k, c[k]]);
    for (const rec of [...records, exec.stdout]) expect(same(confinement(rec))).toEqual(same(pid1));
    // the probe is in the container's own cgroup (the leader's), never above it
    for (const probe of probes) {
      const cgroups = Object.entries(confinement(probe)).filter(([k]) => k.startsWith('cgroup '));
      expect(cgroups.length).toBeGreaterThan(0);
      expect(Object.fromEntries(cgroups)).toEqual(Object.fromEntries(Object.entries(pid1).filter(([k]) => k.startsWith('cgroup '))));
    }
  }, 10 * 60_000);
});
