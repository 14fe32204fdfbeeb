/** What to run inside a booted container, as a transient service. */
export interface UnitCommand {
  argv: string[];
  env: [string, string][];
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
  args.push('--', ...cmd.argv);
  return args;
}
