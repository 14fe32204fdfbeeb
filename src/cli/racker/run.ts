import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import { collect, contextFrom } from '../context.js';
import { findImage, pullByName, type PullFlags } from './pull.js';
import { AppContainerRun } from '../../runtime/app-run.js';
import { parseEnvAssignments, readEnvFile, mergeEnv } from '../../runtime/env.js';
import { parseVolume } from '../../runtime/volumes.js';
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
}

export function register(program: Command): void {
  program.command('run')
    .description('run a command in a new container')
    .usage('[options] IMAGE [COMMAND] [ARG...]')
    .argument('<image>')
    .argument('[command...]')
    .passThroughOptions()
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
    .action(async (image: string, command: string[], flags: RunFlags) => {
      const ctx = contextFrom(program);
      if (flags.name !== undefined) validateContainerName(flags.name);
      if (!['missing', 'always', 'never'].includes(flags.pull)) {
        throw new RackerError(`invalid --pull policy '${flags.pull}'`, { hint: 'use missing, always or never' });
      }
      const volumes = flags.volume.map(parseVolume);
      const env = mergeEnv(
        ...(await Promise.all(flags.envFile.map(f => readEnvFile(f, process.env)))),
        parseEnvAssignments(flags.env, process.env),
      );
      if (flags.hostname !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9.-]{0,62}$/.test(flags.hostname)) {
        throw new RackerError(`invalid hostname '${flags.hostname}'`, { hint: 'letters, digits, dots and dashes, at most 63 characters' });
      }
      const stopTimeout = Number(flags.stopTimeout);
      if (!Number.isFinite(stopTimeout) || stopTimeout < 0) throw new RackerError(`invalid --stop-timeout '${flags.stopTimeout}'`);

      let record = flags.pull === 'always' ? undefined : await findImage(ctx, image);
      if (!record) {
        if (flags.pull === 'never') throw new RackerError(`image ${image} is not in the store`, { hint: `pull it first: racker pull ${image}` });
        if (flags.pull === 'missing') process.stderr.write(`Unable to find image '${image}' locally\n`);
        record = (await pullByName(ctx, image, flags)).record;
      }
      const runner = new AppContainerRun(ctx.images.layout, ctx.containers);
      process.exitCode = await runner.run({
        image: record, imageName: image, command, entrypoint: flags.entrypoint,
        interactive: !!flags.interactive, tty: !!flags.tty, autoRemove: !!flags.rm, name: flags.name,
        env, workdir: flags.workdir, user: flags.user, hostname: flags.hostname, volumes, stopTimeout,
      });
    });
}
