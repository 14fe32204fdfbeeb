import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Context } from '../cli/context.js';
import { BootContainerRun } from '../runtime/boot-run.js';
import type { ImageRecord } from '../store/image-store.js';

export interface ProbeResult {
  image: string;
  probe: string;
  ok: boolean;
  durationMs: number;
  detail: string;
}

/** A check run inside a freshly booted container. */
export interface SelftestProbe {
  readonly name: string;
  readonly argv: string[];
  /** judge the command's exit code and output */
  judge(exitCode: number, output: string): { ok: boolean; detail: string };
}

export const HOSTNAMECTL_PROBE: SelftestProbe = {
  name: 'hostnamectl',
  argv: ['hostnamectl'],
  judge(code, output) {
    const virt = /Virtualization:\s*(\S+)/.exec(output)?.[1];
    if (code !== 0) return { ok: false, detail: `hostnamectl exited ${code}: ${output.trim().split('\n').pop() ?? ''}` };
    return virt === 'systemd-nspawn' ? { ok: true, detail: `Virtualization: ${virt}` } : { ok: false, detail: `Virtualization: ${virt ?? 'not shown'}` };
  },
};

/** Boot `image`, run the probe inside, power off; never throws. */
export async function probeImage(ctx: Context, label: string, image: ImageRecord, probe: SelftestProbe, bootTimeout: number): Promise<ProbeResult> {
  const started = Date.now();
  const dir = await mkdtemp(path.join(tmpdir(), 'postroj-selftest-'));
  const outFile = path.join(dir, 'out');
  try {
    const out = await open(outFile, 'w');
    let code: number;
    try {
      code = await new BootContainerRun(ctx.images, ctx.containers).run({
        image, imageName: label, argv: probe.argv, interactive: false, tty: false, autoRemove: true,
        env: [], volumes: [], bootTimeout, stopTimeout: 10, outputFd: out.fd,
      });
    } finally {
      await out.close();
    }
    const verdict = probe.judge(code, await readFile(outFile, 'utf8'));
    return { image: label, probe: probe.name, ...verdict, durationMs: Date.now() - started };
  } catch (err) {
    return { image: label, probe: probe.name, ok: false, detail: (err as Error).message.split('\n')[0], durationMs: Date.now() - started };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
