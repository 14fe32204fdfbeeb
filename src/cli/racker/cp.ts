import type { Command } from 'commander';
import { engineFrom } from '../context.js';
import { copy, cpTarget, type CpFlags } from '../copy.js';

export function register(program: Command): void {
  program.command('cp')
    .description('copy files between a running container and the host (- for a tar on stdin/stdout)')
    .usage('[options] CONTAINER:SRC DEST|-  or  SRC|- CONTAINER:DEST')
    .argument('<src>')
    .argument('<dest>')
    .option('-a, --archive', 'keep uid/gid')
    .option('-L, --follow-link', 'follow symbolic links in the source')
    .action(async (src: string, dest: string, flags: CpFlags) => {
      await copy(engineFrom(program), cpTarget(src), cpTarget(dest), flags);
    });
}
