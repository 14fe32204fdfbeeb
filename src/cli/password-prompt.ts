import { createInterface } from 'node:readline';
import { RackerError } from '../errors.js';

/** All of stdin (`--password-stdin`), without the one line end `echo` or a here-string adds. */
export async function readStdinSecret(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) {
    chunks.push(c as Buffer);
    if (chunks.reduce((n, b) => n + b.length, 0) > 64 * 1024) throw new RackerError('the password on stdin is longer than 64 KiB');
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** One line typed at the terminal, echoed (a user name). */
export function askLine(question: string): Promise<string> {
  return new Promise(resolve => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    rl.question(question, answer => { rl.close(); resolve(answer.trim()); });
  });
}

/** A password typed at the terminal, not echoed; Ctrl-C or Ctrl-D gives up. */
export function askSecret(question: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    // echo off before the prompt shows: what is typed after seeing it is never echoed
    stdin.setRawMode(true);
    process.stderr.write(question);
    let typed = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err); else resolve(typed);
    };
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new RackerError('login cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else if (ch >= ' ') typed += ch;
      }
    };
    stdin.resume();
    stdin.on('data', onData);
  });
}
