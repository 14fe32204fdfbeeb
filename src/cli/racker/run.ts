import { type Command, Option } from 'commander';
import { RackerError } from '../../errors.js';
import { collect, engineFrom } from '../context.js';
import { bootTimeoutOption, stopTimeoutOption, tlsVerifyOption } from '../options.js';
import { mergeEnv, parseEnvAssignments, parseMountFlag, parseTmpfsFlag, parseVolumeFlag, publishSpecs, readEnvFile } from '../../engine/flags.js';
import type { PullPolicy } from '../../engine/images.js';
import { addParityOptions, type ParityFlags, parityInput } from '../run-parity.js';

interface RunFlags extends ParityFlags {
  detach?: boolean;
  restart: string;
  interactive?: boolean;
  tty?: boolean;
  rm?: boolean;
  name?: string;
  env: string[];
  envFile: string[];
  volume: string[];
  workdir?: string;
  user?: string;
  hostname?: string;
  entrypoint?: string;
  pull: PullPolicy;
  tlsVerify?: boolean;
  stopTimeout: number;
  boot?: boolean;
  bootTimeout: number;
  mount: string[];
  tmpfs: string[];
  readOnly?: boolean;
  network?: string;
  networkAlias: string[];
  ip?: string;
  publish: string[];
  publishAll?: boolean;
  dns: string[];
  addHost: string[];
}

export function register(program: Command): void {
  const cmd = program.command('run')
    .description('run a command in a new container')
    .usage('[options] IMAGE [COMMAND] [ARG...]')
    .argument('<image>')
    .argument('[command...]')
    .passThroughOptions()
    .option('-d, --detach', 'run in the background and print the container id')
    .option('--restart <policy>', 'no (other policies need a supervisor; see docs/lifecycle.md)', 'no')
    .option('-i, --interactive', 'keep stdin open (pass it to the container)')
    .option('-t, --tty', 'give the container a terminal')
    .option('--rm', 'remove the container when it exits')
    .option('--name <name>', 'name the container')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable; KEY alone copies it from here)', collect, [])
    .option('--env-file <file>', 'read KEY=VALUE lines from a file (repeatable)', collect, [])
    .option('-v, --volume <SRC:DST[:ro]>', 'bind-mount a host path, or mount a named volume (NAME:DST) or an anonymous one (DST) (repeatable)', collect, [])
    .option('--mount <type=…,…>', 'docker\'s --mount: type=bind|volume|tmpfs,source=…,target=…,readonly (repeatable)', collect, [])
    .option('--tmpfs <DST[:opts]>', 'mount a tmpfs (size=64m,mode=1777,noexec,…) (repeatable)', collect, [])
    .option('--read-only', 'mount the image read-only')
    .option('--network <mode>', 'host (default), none, bridge, NAME, or container:NAME')
    .option('--network-alias <name>', 'another name the container has on its network (repeatable)', collect, [])
    .option('--ip <address>', 'a fixed IPv4 address on its network')
    .option('-p, --publish <[IP:][HOST:]CONTAINER[/proto]>', 'publish a port (repeatable; puts the container on a private network)', collect, [])
    .option('-P, --publish-all', 'publish every port the image exposes to free host ports')
    .option('--dns <address>', 'a nameserver for the container (repeatable)', collect, [])
    .option('--add-host <name:ip>', 'an /etc/hosts entry (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:group]>', 'user to run as (must exist in the image)')
    .option('--hostname <name>', 'container host name')
    .option('--entrypoint <cmd>', 'override the image entrypoint ("" clears it)')
    .addOption(new Option('--pull <policy>', 'when to pull the image').choices(['missing', 'always', 'never']).default('missing'))
    .addOption(tlsVerifyOption('verify TLS certificates when pulling (false also allows plain HTTP)'))
    .addOption(stopTimeoutOption())
    .option('--boot', 'boot the image\'s systemd as PID 1 and run the command inside it (default for curated OS images)')
    .option('--no-boot', 'run the command directly as PID 1, even for curated OS images')
    .addOption(bootTimeoutOption());
  // limits, capabilities, devices, labels, health: docs/run.md
  addParityOptions(cmd)
    .action(async (image: string, command: string[], flags: RunFlags) => {
      const engine = engineFrom(program);
      if (flags.restart !== 'no') {
        throw new RackerError(`--restart ${flags.restart} is not supported`, { hint: 'racker has no daemon to restart containers; run it under a systemd unit with Restart= instead (docs/lifecycle.md)' });
      }
      const env = mergeEnv(
        ...(await Promise.all(flags.envFile.map(f => readEnvFile(f, process.env)))),
        parseEnvAssignments(flags.env, process.env),
      );
      const mounts = [...flags.volume.map(parseVolumeFlag), ...flags.mount.map(parseMountFlag), ...flags.tmpfs.map(parseTmpfsFlag)];
      const input = {
        image, command, entrypoint: flags.entrypoint, boot: flags.boot, name: flags.name, env,
        workdir: flags.workdir, user: flags.user, hostname: flags.hostname,
        volumes: mounts.flatMap(m => (m.kind === 'bind' ? [{ source: m.source, target: m.target, readOnly: m.readOnly }] : [])),
        mounts: mounts.flatMap(m => (m.kind === 'bind' ? [] : [m])), readOnly: flags.readOnly,
        net: {
          network: flags.network, aliases: flags.networkAlias, ip: flags.ip, publish: flags.publish.flatMap(publishSpecs),
          publishAll: flags.publishAll, dns: flags.dns, addHosts: flags.addHost,
        },
        tty: !!flags.tty, interactive: !!flags.interactive, autoRemove: !!flags.rm,
        stopTimeout: flags.stopTimeout, bootTimeout: flags.bootTimeout,
        ...await parityInput(flags),
      };
      const pull = { pull: flags.pull, tlsVerify: flags.tlsVerify };
      if (flags.detach) {
        const { id } = await engine.containers.run(input, { detach: true }, pull);
        process.stdout.write(`${id}\n`);
        return;
      }
      const { exitCode } = await engine.containers.run(input, { stdin: !!flags.interactive }, pull);
      process.exitCode = exitCode;
    });
}
