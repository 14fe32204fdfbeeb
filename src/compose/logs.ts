import chalk from 'chalk';
import type { Engine } from '../engine/engine.js';
import type { LogEntry } from '../engine/logs.js';
import type { ContainerRecord } from '../model/container.js';
import { labelOf, serviceOf } from './containers.js';
import { LABEL } from './naming.js';

/**
 * The output of several containers interleaved as it comes, each line
 * prefixed by `service-N  | ` (padded to the longest; coloured when `colour`).
 */

export interface StreamOptions { follow?: boolean; tail?: number; timestamps?: boolean; colour?: boolean }

const COLOURS = [chalk.cyan, chalk.yellow, chalk.green, chalk.magenta, chalk.blue, chalk.red];

/** `service-N`, or the container's name for a one-off */
export function prefixName(rec: ContainerRecord): string {
  return labelOf(rec, LABEL.oneoff) === 'True' ? rec.name : `${serviceOf(rec)}-${labelOf(rec, LABEL.number) ?? '1'}`;
}

/** Every line of these containers' logs to `write`; resolves when all streams end (with follow: when they all stopped). */
export async function streamLogs(engine: Engine, recs: ContainerRecord[], opts: StreamOptions, write: (stream: LogEntry['stream'], line: string) => void): Promise<void> {
  const width = Math.max(0, ...recs.map(r => prefixName(r).length));
  await Promise.all(recs.map(async (rec, i) => {
    const colour = opts.colour ? COLOURS[i % COLOURS.length] : (s: string) => s;
    const prefix = colour(`${prefixName(rec).padEnd(width)}  | `);
    const lines = await engine.containers.logs(rec.id, { follow: opts.follow, tail: opts.tail, timestamps: opts.timestamps });
    for await (const l of lines) write(l.stream, `${prefix}${opts.timestamps && l.time ? `${l.time} ` : ''}${l.text}\n`);
  }));
}
