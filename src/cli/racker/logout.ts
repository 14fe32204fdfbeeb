import type { Command } from 'commander';
import { RackerError } from '../../errors.js';

export function register(program: Command): void {
  program.command('logout')
    .description('forget the credentials login saved for a registry')
    .argument('[registry]', 'ghcr.io, 127.0.0.1:5000, … (default docker.io)')
    .option('-a, --all', 'forget every registry\'s credentials in the auth file')
    .option('--authfile <file>', 'the auth file (default $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json)')
    .action(async (registry: string | undefined, flags: { all?: boolean; authfile?: string }) => {
      if (flags.all && registry) throw new RackerError('give either --all or a registry, not both');
      const name = flags.all ? undefined : registry ?? 'docker.io';
      const { logout } = await import('../../engine/registry-login.js');
      const { file, removed } = await logout(name, { authfile: flags.authfile });
      if (flags.all) {
        process.stdout.write(`Removed login credentials for all registries\n`);
        return;
      }
      if (!removed) throw new RackerError(`not logged in to ${name} (no entry in ${file})`);
      process.stdout.write(`Removed login credentials for ${name}\n`);
    });
}
