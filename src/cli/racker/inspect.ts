import type { Command } from 'commander';
import { Option } from 'commander';
import { RackerError } from '../../errors.js';
import { engineFrom } from '../context.js';
import { renderTemplate } from '../go-template.js';
import { printableJson } from '../../untrusted.js';

export function register(program: Command): void {
  program.command('inspect')
    .description('show low-level information on containers or images, as JSON')
    .argument('<name...>', 'container name or id, or image name or id')
    .option('-f, --format <template>', 'Go-template subset, e.g. {{.State.Status}} or {{json .Config}}')
    .addOption(new Option('--type <type>', 'container or image').choices(['container', 'image']))
    .action(async (names: string[], flags: { format?: string; type?: 'container' | 'image' }) => {
      const engine = engineFrom(program);
      const out: Record<string, unknown>[] = [];
      for (const n of names) {
        const doc = (flags.type !== 'image' ? await engine.containers.inspect(n) : undefined)
          ?? (flags.type !== 'container' ? await engine.images.inspect(n) : undefined);
        if (!doc) throw new RackerError(`No such object: ${n}`, { hint: 'racker ps -a and racker images list what exists' });
        out.push(doc);
      }
      if (flags.format) process.stdout.write(out.map(o => renderTemplate(flags.format!, o)).join('\n') + '\n');
      else process.stdout.write(printableJson(out, 2) + '\n');
    });
}
