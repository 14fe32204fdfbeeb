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

/** Terminal output as a person reads it: without colour and cursor escapes. */
export function plainText(raw: string): string {
  return raw.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '').replace(/\x1b\][^\x07]*\x07/g, '');
}

/**
 * An interactive session under `script`: the line's terminal is a pty whose
 * input the test types. The test waits for what the session prints (a prompt,
 * an answer) before it types on, as a person would, and never for a time:
 *  - typeahead sent before the program reads the terminal can go to a terminal
 *    nothing reads yet, or be discarded when a program sets the terminal up;
 *  - output printed in the same instant the session ends depends on every pty
 *    forwarder in the chain (script, systemd-run --pty, the kernel's pty
 *    buffers, pushed asynchronously) draining before it stops: what the test
 *    asserts is seen while the session still runs, and only then does it end it.
 */
export class TerminalSession {
  private raw = '';
  private readonly waiters: { re: RegExp; from: number; resolve(): void }[] = [];
  readonly exit: Promise<{ exitCode: number; output: string }>;
  private readonly child: ReturnType<typeof execa>;

  constructor(line: string, opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}) {
    this.child = execa('script', ['-qfec', line, '/dev/null'], { reject: false, env: opts.env, timeout: opts.timeout ?? 120_000 });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.raw += d.toString();
      const text = plainText(this.raw);
      for (const w of [...this.waiters]) {
        if (w.re.test(text.slice(w.from))) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    });
    this.exit = this.child.then(r => ({ exitCode: r.exitCode ?? -1, output: plainText(String(r.stdout)) }));
  }

  /** Everything printed so far, escapes removed. */
  get output(): string { return plainText(this.raw); }

  /**
   * Resolves once `re` matches what is printed after `from` (a length of
   * `output`); rejects if the session ends first.
   */
  waitFor(re: RegExp, from = 0): Promise<void> {
    if (re.test(this.output.slice(from))) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ re, from, resolve });
      void this.exit.then(r => reject(new Error(`the session ended (exit ${r.exitCode}) before ${re} was printed; it printed:\n${r.output.slice(-2000)}`)));
    });
  }

  type(text: string): void {
    this.child.stdin!.write(text);
  }
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
