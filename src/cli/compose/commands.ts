import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import type { Engine } from '../../engine/engine.js';
import type { Project } from '../../compose/types.js';
import { printableJson, shown } from '../../untrusted.js';
import { formatOption, integer, tlsVerifyOption } from '../options.js';
import { formatTable } from '../table.js';
import { copy, cpTarget, type CpFlags } from '../copy.js';
import { registerRun } from './run.js';
import { registerStatus } from './status.js';

/**
 * The compose subcommands that run things: each declares its flags and calls
 * src/compose/. Step lines (`Container x  Started`) go to stderr, as docker
 * compose prints them.
 */

type Load = (services?: string[]) => Promise<Project>;
const report = (line: string) => process.stderr.write(`${line.startsWith('warning: ') ? line : ` ✔ ${line}`}\n`);
const write = (stream: 'stdout' | 'stderr', line: string) => (stream === 'stderr' ? process.stderr : process.stdout).write(line);

interface UpFlags { detach?: boolean; wait?: boolean; waitTimeout?: number; removeOrphans?: boolean; forceRecreate?: boolean; start: boolean; timeout?: number }

/** Ctrl-C / SIGTERM: abort what waits, once; a second one is the default (exit at once). */
/** The compose library (and the YAML parser under it) loads when a compose command runs, not on every racker start. */
const lib = () => import('../../compose/lazy.js');

function onInterrupt(): { signal: AbortSignal; which: () => NodeJS.Signals | undefined; dispose: () => void } {
  const ac = new AbortController();
  let which: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (which) process.exit(sig === 'SIGINT' ? 130 : 143);
    which = sig;
    process.stderr.write('Gracefully stopping... (press Ctrl+C again to force)\n');
    ac.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return { signal: ac.signal, which: () => which, dispose: () => { process.off('SIGINT', handler); process.off('SIGTERM', handler); } };
}

async function attachedUp(engine: Engine, load: Load, services: string[], flags: UpFlags): Promise<void> {
  const project = (await load(services));
  const interrupt = onInterrupt();
  const stopAll = async () => (await lib()).stopServices(engine, project, [], flags.timeout, report);
  try {
    const recs = await (await lib()).up(engine, project, { services, removeOrphans: flags.removeOrphans, forceRecreate: flags.forceRecreate, signal: interrupt.signal }, report);
    process.stderr.write(`Attaching to ${recs.map(r => r.name).join(', ')}\n`);
    const stopped = new Promise<void>(resolve => interrupt.signal.addEventListener('abort', () => { void stopAll().finally(resolve); }, { once: true }));
    await (await lib()).streamLogs(engine, recs, { follow: true, colour: !!process.stdout.isTTY }, write);
    if (interrupt.signal.aborted) await stopped;
  } catch (err) {
    if (!interrupt.signal.aborted) throw err;
    await stopAll();
  } finally {
    interrupt.dispose();
  }
  const sig = interrupt.which();
  if (sig) process.exitCode = sig === 'SIGINT' ? 130 : 143;
}

const serviceArg = (project: Project, name: string) => {
  if (!project.services[name]) throw new RackerError(`no such service: ${shown(name, 80)}`, { hint: `services: ${Object.keys(project.services).sort().join(', ')}` });
  return name;
};

/** The running container `index` of a service. */
async function containerOf(engine: Engine, project: Project, service: string, index: number) {
  serviceArg(project, service);
  const { LABEL, serviceContainers } = await lib();
  const rec = (await serviceContainers(engine, project.name, [service])).find(c => c.spec.labels?.[LABEL.number] === String(index));
  if (!rec || rec.state.status !== 'running') throw new RackerError(`service "${service}" is not running`, { hint: 'start it with racker compose up -d' });
  return rec;
}

export function registerRunning(compose: Command, engineOf: () => Engine, load: Load): void {
  compose.command('up')
    .description('create and start the project\'s containers')
    .argument('[service...]', 'only these services (and what they depend on)')
    .option('-d, --detach', 'start in the background and return')
    .option('--wait', 'wait until the services are healthy (or running); implies -d')
    .option('--wait-timeout <seconds>', 'give up waiting after this long', integer(1))
    .option('--remove-orphans', 'remove containers of services not in the file')
    .option('--force-recreate', 'recreate containers even when their configuration is unchanged')
    .option('--no-start', 'create, do not start')
    .option('-t, --timeout <seconds>', 'stop timeout when Ctrl-C stops an attached up', integer(0))
    .action(async (services: string[], flags: UpFlags) => {
      const engine = engineOf();
      if (!flags.detach && !flags.wait && flags.start) return attachedUp(engine, load, services, flags);
      const project = (await load(services));
      await (await lib()).up(engine, project, {
        services, removeOrphans: flags.removeOrphans, forceRecreate: flags.forceRecreate, noStart: !flags.start,
        wait: flags.wait, waitTimeout: flags.waitTimeout,
      }, report);
    });

  compose.command('down')
    .description('stop and remove the project\'s containers and networks')
    .option('-v, --volumes', 'also remove named volumes (not external ones) and anonymous volumes')
    .option('--remove-orphans', 'also remove containers of services not in the file')
    .option('-t, --timeout <seconds>', 'seconds to wait before killing', integer(0))
    .action(async (flags: { volumes?: boolean; removeOrphans?: boolean; timeout?: number }) => {
      await (await lib()).down(engineOf(), (await load()), { volumes: flags.volumes, removeOrphans: flags.removeOrphans, timeout: flags.timeout }, report);
    });

  compose.command('ps')
    .description('list the project\'s containers')
    .argument('[service...]')
    .option('-a, --all', 'also stopped containers')
    .option('-q, --quiet', 'only ids')
    .option('--services', 'only the service names')
    .addOption(formatOption(['table', 'json'], 'table'))
    .action(async (services: string[], flags: { all?: boolean; quiet?: boolean; services?: boolean; format: string }) => {
      const { psRows, statusOf } = await lib();
      const rows = await psRows(engineOf(), (await load()), { all: flags.all, services });
      if (flags.quiet) process.stdout.write(rows.map(r => `${r.ID}\n`).join(''));
      else if (flags.services) process.stdout.write([...new Set(rows.map(r => r.Service))].map(s => `${s}\n`).join(''));
      else if (flags.format === 'json') process.stdout.write(rows.map(r => `${printableJson(r)}\n`).join(''));
      else process.stdout.write(formatTable(['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'STATUS', 'PORTS'], rows.map(r => [r.Name, r.Image, `"${r.Command}"`, r.Service, statusOf(r), r.Ports])));
    });

  compose.command('logs')
    .description('the output of the project\'s containers, interleaved, each line prefixed by its service')
    .argument('[service...]')
    .option('-f, --follow', 'keep printing until the containers stop')
    .option('-n, --tail <n>', 'only the last N lines of each', integer(0))
    .option('-t, --timestamps', 'show timestamps')
    .option('--no-color', 'no colours')
    .action(async (services: string[], flags: { follow?: boolean; tail?: number; timestamps?: boolean; color: boolean }) => {
      const project = (await load());
      services.forEach(s => serviceArg(project, s));
      const recs = await (await lib()).serviceContainers(engineOf(), project.name, services);
      await (await lib()).streamLogs(engineOf(), recs, { follow: flags.follow, tail: flags.tail, timestamps: flags.timestamps, colour: flags.color && !!process.stdout.isTTY }, write);
    });

  compose.command('exec')
    .description('run a command in a running service container')
    .argument('<service>')
    .argument('<command...>')
    .option('-T, --no-tty', 'no pseudo-terminal, no stdin')
    .option('-e, --env <KEY=VALUE>', 'set a variable (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('-u, --user <user>')
    .option('-w, --workdir <dir>')
    .option('--index <n>', 'which container of the service', integer(1), 1)
    .passThroughOptions()
    .action(async (service: string, argv: string[], flags: { tty: boolean; env: string[]; user?: string; workdir?: string; index: number }) => {
      const engine = engineOf();
      const rec = await containerOf(engine, (await load()), service, flags.index);
      const env = flags.env.map((e): [string, string] => {
        const eq = e.indexOf('=');
        return eq < 0 ? [e, process.env[e] ?? ''] : [e.slice(0, eq), e.slice(eq + 1)];
      });
      process.exitCode = await engine.containers.exec(rec.id, argv, { env, user: flags.user, workdir: flags.workdir, interactive: flags.tty, tty: flags.tty });
    });

  compose.command('cp')
    .description('copy files between a running service container and the host')
    .usage('[options] SERVICE:SRC DEST|-  or  SRC|- SERVICE:DEST')
    .argument('<src>')
    .argument('<dest>')
    .option('-a, --archive', 'keep uid/gid')
    .option('-L, --follow-link', 'follow symbolic links in the source')
    .option('--index <n>', 'which container of the service', integer(1), 1)
    .action(async (src: string, dest: string, flags: CpFlags & { index: number }) => {
      const engine = engineOf();
      await copy(engine, cpTarget(src), cpTarget(dest), flags, async service => (await containerOf(engine, (await load()), service, flags.index)).id);
    });

  registerRun(compose, engineOf, load);
  registerStatus(compose, engineOf, load);

  compose.command('pull')
    .description('pull the services\' images')
    .argument('[service...]')
    .addOption(tlsVerifyOption())
    .option('-q, --quiet', 'no progress')
    .action(async (services: string[], flags: { tlsVerify?: boolean; quiet?: boolean }) => {
      const project = (await load(services));
      const engine = engineOf();
      for (const s of (await lib()).selectServices(project, services)) {
        const image = project.services[s].image;
        await engine.images.pull(image, { tlsVerify: flags.tlsVerify, quiet: flags.quiet });
        report(`Image ${image}  Pulled`);
      }
    });

  const lifecycle = (name: string, description: string, fn: (engine: Engine, project: Project, services: string[], flags: { timeout?: number; signal: string; force?: boolean; volumes?: boolean; stop?: boolean }) => Promise<void>) => {
    const cmd = compose.command(name).description(description).argument('[service...]');
    if (name === 'stop' || name === 'restart') cmd.option('-t, --timeout <seconds>', 'seconds to wait before killing', integer(0));
    if (name === 'kill') cmd.option('-s, --signal <signal>', 'signal to send', 'SIGKILL');
    if (name === 'rm') cmd.option('-f, --force', 'no question (racker asks none)').option('-s, --stop', 'stop running containers first').option('-v, --volumes', 'also their anonymous volumes');
    cmd.action(async (services: string[], flags: { timeout?: number; signal: string; force?: boolean; volumes?: boolean; stop?: boolean }) => {
      const project = (await load());
      services.forEach(s => serviceArg(project, s));
      await fn(engineOf(), project, services, flags);
    });
  };
  lifecycle('start', 'start the project\'s stopped containers', async (e, p, s) => (await lib()).startServices(e, p, s, report));
  lifecycle('stop', 'stop the project\'s containers', async (e, p, s, f) => (await lib()).stopServices(e, p, s, f.timeout, report));
  lifecycle('restart', 'restart the project\'s containers', async (e, p, s, f) => (await lib()).restartServices(e, p, s, f.timeout, report));
  lifecycle('kill', 'send a signal to the project\'s containers', async (e, p, s, f) => (await lib()).killServices(e, p, s, f.signal, report));
  lifecycle('rm', 'remove the project\'s stopped containers', async (e, p, s, f) => {
    if (f.stop) await (await lib()).stopServices(e, p, s, undefined, report);
    await (await lib()).removeServices(e, p, s, { volumes: f.volumes }, report);
  });

  compose.command('top')
    .description('the processes of the project\'s running containers')
    .argument('[service...]')
    .action(async (services: string[]) => {
      const engine = engineOf();
      const project = (await load());
      services.forEach(s => serviceArg(project, s));
      const recs = (await (await lib()).serviceContainers(engine, project.name, services)).filter(c => c.state.status === 'running');
      for (const rec of recs) {
        const procs = await engine.containers.top(rec.id);
        process.stdout.write(`${rec.name}\n${formatTable(['PID', 'CMD'], procs.map(p => [String(p.pid), p.cmd]))}\n`);
      }
    });

  compose.command('port')
    .description('the host address a service\'s port is published on')
    .argument('<service>')
    .argument('<private_port>')
    .option('--protocol <proto>', 'tcp or udp', 'tcp')
    .option('--index <n>', 'which container of the service', integer(1), 1)
    .action(async (service: string, port: string, flags: { protocol: string; index: number }) => {
      const engine = engineOf();
      const rec = await containerOf(engine, (await load()), service, flags.index);
      const info = await engine.containers.inspect(rec.id) as { NetworkSettings?: { Ports?: Record<string, { HostIp: string; HostPort: string }[]> } } | undefined;
      const binding = info?.NetworkSettings?.Ports?.[`${port}/${flags.protocol}`]?.[0];
      if (!binding) throw new RackerError(`no port ${shown(port, 20)}/${shown(flags.protocol, 10)} is published for service ${service}`, { hint: 'racker compose ps shows the published ports' });
      process.stdout.write(`${binding.HostIp}:${binding.HostPort}\n`);
    });

}
