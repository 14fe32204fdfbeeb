import type { Command } from 'commander';
import { Option } from 'commander';
import { RackerError } from '../../errors.js';
import { tlsVerifyOption } from '../options.js';

interface LoginFlags { username?: string; password?: string; passwordStdin?: boolean; authfile?: string; tlsVerify?: boolean }

export function register(program: Command): void {
  program.command('login')
    .description('check credentials against a registry and keep them in auth.json for pulls')
    .argument('[registry]', 'ghcr.io, 127.0.0.1:5000, … (default docker.io)')
    .option('-u, --username <user>', 'user name (asked for when stdin is a terminal)')
    // -p is taken only to refuse it: a password in argv is readable by every user in /proc
    .addOption(new Option('-p, --password <password>').hideHelp())
    .option('--password-stdin', 'read the password from stdin')
    .option('--authfile <file>', 'the auth file to write (default $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json)')
    .addOption(tlsVerifyOption('verify TLS certificates (default: unless registries.conf marks the registry insecure)'))
    .action(async (registry: string | undefined, flags: LoginFlags) => {
      // loaded here: every other verb's start stays as small as it was
      const { askLine, askSecret, readStdinSecret } = await import('../password-prompt.js');
      const { login } = await import('../../engine/registry-login.js');
      if (flags.password !== undefined) {
        throw new RackerError('-p/--password puts the password where every user of this host can read it (the process list); refusing it', {
          hint: 'use --password-stdin (printf %s "$PASSWORD" | racker login -u USER --password-stdin REGISTRY), or type it at the prompt',
        });
      }
      const tty = process.stdin.isTTY === true;
      let username = flags.username;
      if (!username && tty && !flags.passwordStdin) username = await askLine('Username: ');
      if (!username) throw new RackerError('no user name', { hint: 'give -u USER' });
      let password: string;
      if (flags.passwordStdin) password = await readStdinSecret();
      else if (tty) password = await askSecret('Password: ');
      else throw new RackerError('no password: stdin is not a terminal', { hint: 'pipe it in with --password-stdin' });
      if (!password) throw new RackerError('the password is empty');
      const { file, storedIn } = await login(registry ?? 'docker.io', { credentials: { username, password }, authfile: flags.authfile, tlsVerify: flags.tlsVerify });
      process.stderr.write(storedIn === 'file' ? `credentials saved in ${file}\n` : `credentials saved with docker-credential-${storedIn}\n`);
      process.stdout.write('Login Succeeded!\n');
    });
}
