import { execa } from 'execa';

/**
 * Run a shell line under `script`: the line's stdin, stdout and stderr are a real
 * terminal (a pty) wherever the line itself does not pipe or redirect them. The
 * line is written by the test, never built from input.
 */
export async function underTerminal(line: string, timeout = 120_000): Promise<{ exitCode: number; output: string }> {
  const r = await execa('script', ['-qec', line, '/dev/null'], { reject: false, stdin: 'ignore', timeout });
  return { exitCode: r.exitCode ?? -1, output: String(r.stdout) };
}

/** A busy loop on the host for as long as `fn` runs: the load under which stdio races show. */
export async function underLoad<T>(fn: () => Promise<T>, burners = 2): Promise<T> {
  const loops = Array.from({ length: burners }, () => execa('sh', ['-c', 'while :; do :; done'], { reject: false, stdin: 'ignore' }));
  try {
    return await fn();
  } finally {
    for (const l of loops) l.kill('SIGKILL');
    await Promise.all(loops);
  }
}

/** Run `count` jobs, `width` at a time. */
export async function inParallel(count: number, width: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < count) await job(next++);
  }));
}
