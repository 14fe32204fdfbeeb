import { AsyncLocalStorage } from 'node:async_hooks';
import chalk from 'chalk';
import { cleanText, printable } from './untrusted.js';

/** Global verbosity, set once by the entry point from --verbose / --debug. */
export const logLevel = { verbose: false, debug: false };

export function verbose(msg: string): void {
  if (logLevel.verbose || logLevel.debug) process.stderr.write(chalk.dim(printable(msg)) + '\n');
}

export function debug(msg: string): void {
  if (logLevel.debug) process.stderr.write(chalk.dim('[debug] ' + printable(msg)) + '\n');
}

/** Where warnings and status lines go while an engine call runs (its events); outside one, to stderr. */
export interface MessageSink {
  warning(msg: string): void;
  status(msg: string): void;
}

const sinks = new AsyncLocalStorage<MessageSink>();

export function withMessageSink<T>(sink: MessageSink, fn: () => T): T {
  return sinks.run(sink, fn);
}

export function warn(msg: string): void {
  const sink = sinks.getStore();
  if (sink) sink.warning(msg);
  else process.stderr.write(chalk.yellow('warning: ') + printable(msg) + '\n');
}

/** A line of progress a person wants to see ("Provisioning …"). */
export function status(msg: string): void {
  const sink = sinks.getStore();
  if (sink) sink.status(msg);
  else process.stderr.write(printable(msg) + '\n');
}

/** Quote one argument for display only (never for execution). */
export function displayArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The last `max` lines of a tool's output, cleaned, for --debug. */
function tail(text: string, max: number): string {
  const lines = cleanText(text).split('\n');
  return (lines.length > max ? [`… (${lines.length - max} earlier lines)`, ...lines.slice(-max)] : lines).join('\n');
}

/**
 * What --debug prints about an error's cause: the stack of an Error (and of its
 * causes), or for a failed external command its command line, exit status and
 * output, never "[object Object]".
 */
export function describeCause(cause: unknown, depth = 0): string {
  if (cause instanceof Error) {
    const own = cleanText(cause.stack ?? `${cause.name}: ${cause.message}`);
    return cause.cause !== undefined && depth < 3 ? `${own}\ncaused by: ${describeCause(cause.cause, depth + 1)}` : own;
  }
  if (cause && typeof cause === 'object') {
    const c = cause as { command?: unknown; exitCode?: unknown; signal?: unknown; shortMessage?: unknown; stderr?: unknown; stdout?: unknown };
    if (typeof c.command === 'string') {
      const lines = [`command: ${cleanText(c.command)}`];
      if (c.exitCode !== undefined) lines.push(`exit code: ${String(c.exitCode)}`);
      if (c.signal) lines.push(`signal: ${String(c.signal)}`);
      if (typeof c.shortMessage === 'string') lines.push(cleanText(c.shortMessage));
      for (const stream of ['stderr', 'stdout'] as const) {
        const text = c[stream];
        if (typeof text === 'string' && text.trim()) lines.push(`${stream}:`, tail(text.trimEnd(), 60));
      }
      return lines.join('\n');
    }
    try {
      return cleanText(JSON.stringify(cause)).slice(0, 2000);
    } catch {
      // a cyclic object: fall through
    }
  }
  return cleanText(String(cause));
}
