import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { POSTROJ, RACKER, REPO, uniqueName } from '../helpers/cli.js';
import { MIRROR_CACHE, DEBIAN_MIRROR } from '../helpers/debian.js';

/**
 * The systemd-host lane (docs/testing.md): racker boots a Debian 12 OS container (systemd as
 * PID 1), provisions it by scripts/provision-debian from a fresh clone of this checkout (Debian's
 * Node 18), runs the README's two commands there literally, and so the lane's set of integration
 * tests with the inner store on a host directory (not overlayfs). Never inside a container itself.
 */
const inside = process.env.RACKER_TEST_LANE === 'systemd-host' || existsSync('/run/host/container-manager');
// on by default; RACKER_TEST_SYSTEMD_LANE=0 leaves it out (docs/testing.md)
const off = inside || process.env.RACKER_TEST_SYSTEMD_LANE === '0';
const CLONE = '/root/racker';
const prefix = (s: string) => s.replace(/^(?=.)/gm, '[systemd-host] ');

let work = '';
let outer = '';
const machine = uniqueName('racker-lane');
const laneEnv = [
  // inside, vitest runs the lane's set of files (vitest.config.ts), and this file does not run again
  'RACKER_TEST_LANE=systemd-host',
  // racker there runs under the outer container's seccomp filter and cannot read the inner ones (docs/lifecycle.md)
  'RACKER_NESTED_SECCOMP=inherit',
  `RACKER_MIRROR_CACHE=${MIRROR_CACHE}/mirror`, `RACKER_TEST_CACHE=${MIRROR_CACHE}`, `RACKER_TEST_MIRROR=${DEBIAN_MIRROR}`,
  // the inner tests' stores go on the host directory bound at /var/lib/racker, not on the container's overlay
  'TMPDIR=/var/lib/racker/tmp',
  // a TLS-intercepting proxy's CA (npm registry) is trusted inside as it is here
  ...(process.env.NODE_EXTRA_CA_CERTS && existsSync(process.env.NODE_EXTRA_CA_CERTS) ? ['NODE_EXTRA_CA_CERTS=/run/racker-lane/host-ca.crt'] : []),
];

/** A command in the outer container, its output printed through with the lane's prefix. */
async function inLane(argv: string[], { workdir, timeout = 20 * 60_000 }: { workdir?: string; timeout?: number } = {}) {
  const flags = laneEnv.flatMap(e => ['-e', e]);
  if (workdir) flags.push('-w', workdir);
  const child = execa(RACKER, ['--root', outer, 'exec', ...flags, machine, ...argv], { reject: false, stdin: 'ignore', all: true, timeout });
  child.all!.on('data', (d: Buffer) => process.stdout.write(prefix(d.toString())));
  const r = await child;
  return { exitCode: r.exitCode ?? -1, output: String(r.all ?? '') };
}

/** Remove the outer container and the lane's directories; safe to call twice, and from a signal handler. */
function cleanUp(): void {
  if (!work) return;
  execFileSync(RACKER, ['--root', outer, 'rm', '-f', machine], { stdio: 'ignore', timeout: 120_000 });
  try {
    execFileSync(RACKER, ['--root', outer, 'network', 'rm', machine], { stdio: 'ignore', timeout: 120_000 });
  } catch { /* never made, or gone */ }
  // never delete through a mount that is still there
  const mounted = execFileSync('cat', ['/proc/self/mounts'], { encoding: 'utf8' }).includes(work);
  if (!mounted) rmSync(work, { recursive: true, force: true });
  work = '';
}
const onSignal = (sig: NodeJS.Signals) => { try { cleanUp(); } finally { process.exit(sig === 'SIGINT' ? 130 : 143); } };

/**
 * Vitest may end this worker without a signal it can handle (Ctrl-C on the run kills its forks):
 * a detached watchdog removes the outer container and the lane's directory once this process is
 * gone, unless afterAll did already (the directory is gone). The values are passed as arguments.
 */
function startWatchdog(): void {
  const script = 'while kill -0 "$1" 2>/dev/null && [ -d "$4" ]; do sleep 1; done; [ -d "$4" ] || exit 0; '
    + '"$2" --root "$3" rm -f "$5" >/dev/null 2>&1; "$2" --root "$3" network rm "$5" >/dev/null 2>&1; grep -qF "$4" /proc/self/mounts || rm -rf "$4"';
  execa('sh', ['-c', script, 'lane-watchdog', String(process.pid), RACKER, outer, work, machine],
    { detached: true, stdio: 'ignore', cleanup: false, reject: false }).unref();
}

/** The README's sh code blocks, in order: the quick start's two commands. */
async function readmeCommands(): Promise<string[]> {
  const md = await readFile(path.join(REPO, 'README.md'), 'utf8');
  return [...md.matchAll(/```sh\n([\s\S]*?)```/g)].map(m => m[1].trim());
}

describe.skipIf(off)('the systemd-host lane', () => {
  beforeAll(async () => {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, onSignal);
    work = await mkdtemp('/var/tmp/racker-test-lane-');
    outer = path.join(work, 'outer');
    startWatchdog();
    const innerStore = path.join(work, 'inner');
    await mkdir(path.join(innerStore, 'tmp'), { recursive: true });
    await mkdir(MIRROR_CACHE, { recursive: true });
    const pulled = await execa(POSTROJ, ['--root', outer, 'pull', 'debian-bookworm', '--source', 'mirror', '--mirror', DEBIAN_MIRROR],
      { reject: false, stdin: 'ignore', env: { RACKER_MIRROR_CACHE: `${MIRROR_CACHE}/mirror` }, timeout: 20 * 60_000 });
    expect(pulled.stdout + pulled.stderr).toContain('debian-bookworm: ready');

    const binds = [`${innerStore}:/var/lib/racker`, `${REPO}:/src:ro`, `${MIRROR_CACHE}:/var/cache/racker-test`];
    // a git worktree's .git points into the main repository: mount that too, so `git clone /src` works
    const common = (await execa('git', ['-C', REPO, 'rev-parse', '--path-format=absolute', '--git-common-dir'])).stdout.trim();
    if (!common.startsWith(`${REPO}/`)) binds.push(`${common}:${common}:ro`);
    if (laneEnv.some(e => e.startsWith('NODE_EXTRA_CA_CERTS='))) binds.push(`${process.env.NODE_EXTRA_CA_CERTS}:/run/racker-lane/host-ca.crt:ro`);
    // a private network of its own (NAT to the npm registry and the Debian mirror), with CAP_NET_ADMIN in
    // its own network namespace only: the inner racker makes bridges, veths and firewall rules there
    const net = await execa(RACKER, ['--root', outer, 'network', 'create', machine], { reject: false, stdin: 'ignore' });
    expect(net.exitCode, net.stderr).toBe(0);
    const run = await execa(RACKER, ['--root', outer, 'run', '-d', '--name', machine, '--network', machine, '--cap-add', 'NET_ADMIN',
      ...binds.flatMap(b => ['-v', b]), 'debian-bookworm'], { reject: false, stdin: 'ignore', timeout: 120_000 });
    expect(run.stderr.split('\n').filter(l => !l.startsWith('warning:')).join('\n')).toBe('');
    expect(run.exitCode).toBe(0);
    const up = await inLane(['systemctl', 'is-system-running', '--wait']);
    expect(up.output).toMatch(/running|degraded/);
  }, 25 * 60_000);

  afterAll(() => {
    cleanUp();
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
  }, 180_000);

  it('provisions by scripts/provision-debian from a fresh clone: Debian\'s Node 18, the tools, racker doctor', async () => {
    const git = await inLane(['sh', '-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git >/dev/null'
      + ` && git clone -q /src ${CLONE} && git -C ${CLONE} log --oneline -1`]);
    expect(git.exitCode).toBe(0);
    const prov = await inLane([`${CLONE}/scripts/provision-debian`]);
    expect(prov.output).toMatch(/provision-debian: node v18\./);
    expect(prov.output).toMatch(/pid1 +systemd is PID 1/);
    expect(prov.output).toContain('bootstrap: racker');
    expect(prov.exitCode).toBe(0);
  }, 25 * 60_000);

  it('the README\'s first command, literally, in a root shell without sudo: a shell in debian-bookworm', async () => {
    const [first] = await readmeCommands();
    expect((await inLane(['sh', '-c', 'command -v sudo'])).exitCode).not.toBe(0);
    const flags = laneEnv.flatMap(e => ['-e', e]);
    const child = execa(RACKER, ['--root', outer, 'exec', '-i', ...flags, '-w', CLONE, machine, 'script', '-qfec', first, '/dev/null'],
      { reject: false, timeout: 20 * 60_000 });
    let seen = '';
    let typed = false;
    child.stdout!.on('data', (d: Buffer) => {
      seen += d.toString();
      // type once the container's prompt is up, as a person would
      if (!typed && /root@[^\s]*:\/# /.test(seen.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, ''))) {
        typed = true;
        child.stdin!.write('echo debian=$(cat /etc/debian_version); exit 7\n');
      }
    });
    const r = await child;
    process.stdout.write(prefix(seen.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '')));
    expect(typed).toBe(true);
    expect(r.stdout).toMatch(/debian=12\.\d+/);
    expect(r.exitCode).toBe(7);
  }, 25 * 60_000);

  it('the README\'s second command, literally: the lane\'s tests pass on a systemd host', async () => {
    const [, second] = await readmeCommands();
    const started = Date.now();
    const r = await inLane(['sh', '-c', second], { workdir: CLONE, timeout: 45 * 60_000 });
    const plain = r.output.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '');
    const tests = plain.match(/^\s*Tests\s+(\d+) passed/m);
    const failed = plain.match(/^\s*Tests\s+.*\d+ failed.*$/m);
    process.stdout.write(`systemd-host lane: ${failed ? failed[0].trim() : tests ? `${tests[1]} tests passed` : 'no summary'}`
      + ` in ${((Date.now() - started) / 1000).toFixed(0)}s\n`);
    expect(failed).toBeNull();
    expect(r.exitCode).toBe(0);
    expect(Number(tests?.[1])).toBeGreaterThan(50);
    // the machined file ran, not skipped: PID 1 inside is systemd
    expect(plain).toMatch(/910-machined\.test\.ts \(\d+ tests?\)/);
    expect(plain).not.toMatch(/910-machined\.test\.ts \(.*skipped/);
    // networks, volumes, compose and the docker-run flags ran there too
    for (const f of ['100-network', '105-run-network', '110-volume', '125-compose', '140-run-parity']) expect(plain).toMatch(new RegExp(`${f}\\.test\\.ts \\(\\d+ tests?`));
  }, 50 * 60_000);
});
