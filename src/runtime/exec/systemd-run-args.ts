/** What to run inside a booted container, as a transient service. */
export interface UnitCommand {
  argv: string[];
  /** on systemd-run's command line: only what is no secret (a probe's own settings) */
  env: [string, string][];
  /** files inside the container (exec/unit-env.ts) with the command's environment; later ones win */
  envFiles?: string[];
  workdir?: string;
  user?: string;
  tty: boolean;
}

/**
 * systemd-run arguments that run the command as a transient service, wait for
 * it, wire it to our stdio (--pipe) or a terminal (--pty), and exit with its code.
 */
export function buildSystemdRunArgs(cmd: UnitCommand): string[] {
  const args = ['systemd-run', '--wait', '--quiet', '--collect', '--service-type=exec', cmd.tty ? '--pty' : '--pipe'];
  if (cmd.workdir) args.push(`--working-directory=${cmd.workdir}`);
  if (cmd.user) args.push(`--uid=${cmd.user}`);
  for (const [k, v] of cmd.env) args.push(`--setenv=${k}=${v}`);
  for (const f of cmd.envFiles ?? []) args.push(`--property=EnvironmentFile=${f}`);
  args.push('--', ...cmd.argv);
  return args;
}
