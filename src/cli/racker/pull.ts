import type { Command } from 'commander';
import { engineFrom } from '../context.js';
import { retryDelayOption, retryOption, tlsVerifyOption } from '../options.js';

interface PullFlags { signaturePolicy?: string; force?: boolean; tlsVerify?: boolean; quiet?: boolean; retry?: number; retryDelay?: number }

export function register(program: Command): void {
  program.command('pull')
    .description('download an image from a registry, OCI layout or archive into the local store')
    .argument('<image>', 'busybox, ghcr.io/o/n:tag, host:5000/n@sha256:…, oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE, or a curated label')
    .option('--force', 'fetch and unpack again even what the store already has')
    .addOption(tlsVerifyOption())
    .option('--signature-policy <file>', 'containers-policy.json(5) to enforce (default ~/.config/containers/policy.json, else /etc/containers/policy.json)')
    .option('-q, --quiet', 'print only the image id')
    .addOption(retryOption())
    .addOption(retryDelayOption())
    .action(async (image: string, flags: PullFlags) => {
      const engine = engineFrom(program);
      const { record, fetchedLayers, reusedLayers } = await engine.images.pull(image, {
        force: flags.force, tlsVerify: flags.tlsVerify, retries: flags.retry, retryDelayMs: flags.retryDelay, quiet: flags.quiet,
        signaturePolicy: flags.signaturePolicy,
      });
      if (!flags.quiet) {
        process.stderr.write(`Digest: ${record.manifestDigest}\n`);
        process.stderr.write(`Status: ${fetchedLayers ? 'Downloaded newer image' : 'Image is up to date'} for ${image} (${fetchedLayers} layers fetched, ${reusedLayers} reused)\n`);
      }
      process.stdout.write(`${record.id}\n`);
    });
}
