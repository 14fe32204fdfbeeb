import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import { collect, contextFrom } from '../context.js';
import { findImage, type PullFlags } from './pull.js';
import { AppContainerRun, commandLine } from '../../runtime/app-run.js';
import { BootContainerRun } from '../../runtime/boot-run.js';
import { startDetached } from '../../runtime/detach.js';
import { findCurated } from '../../postroj/catalogue.js';
import { isValidHostname } from '../../runtime/hostname.js';
import { parseEnvAssignments, readEnvFile, mergeEnv } from '../../runtime/env.js';
import { parseVolume } from '../../runtime/volumes.js';
import { volumeWarnings } from '../../runtime/volume-warnings.js';
import { warn } from '../../log.js';
import { validateContainerName } from '../../store/container-store.js';

interface RunFlags extends PullFlags {
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
  pull: string;
  stopTimeout?: string;
  boot?: boolean;
  bootTimeout: string;
  detach?: boolean;
  restart?: string;
}

export function register(program: Command): void {
  program.command('run')
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
    .option('-v, --volume <SRC:DST[:ro]>', 'bind-mount an absolute host path (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:group]>', 'user to run as (must exist in the image)')
    .option('--hostname <name>', 'container host name')
    .option('--entrypoint <cmd>', 'override the image entrypoint ("" clears it)')
    .option('--pull <policy>', 'missing | always | never', 'missing')
    .option('--tls-verify <bool>', 'verify TLS certificates when pulling (false also allows plain HTTP)')
    .option('--stop-timeout <seconds>', 'on Ctrl-C/SIGTERM, wait this long before killing', '10')
    .option('--boot', 'boot the image\'s systemd as PID 1 and run the command inside it (default for curated OS images)')
    .option('--no-boot', 'run the command directly as PID 1, even for curated OS images')
    .option('--boot-timeout <seconds>', 'how long systemd may take to start up', '60')
    .action(async (image: string, command: string[], flags: RunFlags) => {
      const ctx = contextFrom(program);
      if (flags.name !== undefined) validateContainerName(flags.name);
      if (!['missing', 'always', 'never'].includes(flags.pull)) {
        throw new RackerError(`invalid --pull policy '${flags.pull}'`, { hint: 'use missing, always or never' });
      }
      const volumes = flags.volume.map(parseVolume);
      for (const w of await volumeWarnings(volumes)) warn(w);
      const env = mergeEnv(
        ...(await Promise.all(flags.envFile.map(f => readEnvFile(f, process.env)))),
        parseEnvAssignments(flags.env, process.env),
      );
      if (flags.hostname !== undefined && !isValidHostname(flags.hostname)) {
        throw new RackerError(`invalid hostname '${flags.hostname}'`, { hint: 'dot-separated labels of letters, digits and dashes (no label starts or ends with a dash), at most 63 characters' });
      }
      const stopTimeout = Number(flags.stopTimeout);
      if (!Number.isFinite(stopTimeout) || stopTimeout < 0) throw new RackerError(`invalid --stop-timeout '${flags.stopTimeout}'`);

      const bootTimeout = Number(flags.bootTimeout);
      if (!Number.isFinite(bootTimeout) || bootTimeout <= 0) throw new RackerError(`invalid --boot-timeout '${flags.bootTimeout}'`);

      const curated = findCurated(image);
      let record = flags.pull === 'always' ? undefined : await findImage(ctx, curated ? curated.storeName : image);
      if (!record) {
        if (flags.pull === 'never') throw new RackerError(`image ${image} is not in the store`, { hint: `pull it first: racker pull ${image}` });
        if (flags.pull === 'missing') process.stderr.write(`Unable to find image '${image}' locally\n`);
        record = curated
          ? (await (await import('../../postroj/curated-pull.js')).pullCurated(ctx, curated, { force: flags.pull === 'always' })).record
          : (await (await import('./pull.js')).pullByName(ctx, image, flags)).record;
      }
      const boot = flags.boot ?? !!curated;
      if (flags.restart && flags.restart !== 'no') {
        throw new RackerError(`--restart ${flags.restart} is not supported`, { hint: 'racker has no daemon to restart containers; run it under a systemd unit with Restart= instead (docs/lifecycle.md)' });
      }
      if (flags.detach) {
        const id = await startDetached(ctx.settings.root, {
          mode: boot ? 'boot' : 'app', imageId: record.id, imageName: image, command, entrypoint: flags.entrypoint,
          env, workdir: flags.workdir, user: flags.user, hostname: flags.hostname, volumes, name: flags.name,
          autoRemove: !!flags.rm, stopTimeout, bootTimeout,
        }, ctx.settings.debug);
        process.stdout.write(`${id}\n`);
        return;
      }
      if (boot) {
        const runner = new BootContainerRun(ctx.images, ctx.containers);
        process.exitCode = await runner.run({
          image: record, imageName: image, argv: commandLine(record.config.config, command, flags.entrypoint),
          interactive: !!flags.interactive, tty: !!flags.tty, autoRemove: !!flags.rm, name: flags.name,
          env, workdir: flags.workdir, user: flags.user, hostname: flags.hostname, volumes,
          bootTimeout, stopTimeout,
        });
        return;
      }
      const runner = new AppContainerRun(ctx.images.layout, ctx.containers);
      process.exitCode = await runner.run({
        image: record, imageName: image, command, entrypoint: flags.entrypoint,
        interactive: !!flags.interactive, tty: !!flags.tty, autoRemove: !!flags.rm, name: flags.name,
        env, workdir: flags.workdir, user: flags.user, hostname: flags.hostname, volumes, stopTimeout,
      });
    });
}
