import type { Command } from 'commander';
import { RackerError } from '../../errors.js';
import { engineFrom } from '../context.js';
import { formatTable } from '../table.js';
import { checkThisHost, type Verdict } from '../../engine/doctor.js';
import { catalogueKeyrings } from '../../postroj/catalogue.js';
import { printable } from '../../untrusted.js';

/** Details quote host files and command output: no control characters reach the terminal. */
const clean = (s: string) => printable(s.replace(/\n/g, ' '));

export function register(program: Command): void {
  program.command('doctor')
    .description('check that this host can run racker: kernel, tools, systemd, the store; exit 1 if a check fails')
    .option('--format <format>', 'table or json', 'table')
    .action(async (flags: { format: string }) => {
      if (flags.format !== 'table' && flags.format !== 'json') {
        throw new RackerError(`unknown --format '${flags.format}'`, { hint: 'use table or json' });
      }
      const root = engineFrom(program).settings.root;
      const { status, verdicts } = await checkThisHost(root, catalogueKeyrings());
      if (flags.format === 'json') {
        const checks = verdicts.map((v: Verdict) => ({ name: v.name, status: v.status, detail: v.detail, fix: v.fix ?? null }));
        process.stdout.write(JSON.stringify({ status, root, checks }, null, 2) + '\n');
      } else {
        const rows = verdicts.flatMap(v => [[v.status, v.name, clean(v.detail)], ...(v.fix ? [['', '', `fix: ${clean(v.fix)}`]] : [])]);
        const counts = (s: string) => verdicts.filter(v => v.status === s).length;
        process.stdout.write(formatTable(['STATUS', 'CHECK', 'DETAIL'], rows)
          + `\n${status === 'fail' ? 'not ready' : 'ready'}: ${counts('ok')} ok, ${counts('warn')} warnings, ${counts('fail')} failed\n`);
      }
      if (status === 'fail') process.exitCode = 1;
    });
}
