import { EventEmitter } from 'node:events';

/** One step of a pull, for a progress display (the CLI draws a table; an API caller may ignore it). */
export type PullProgressEvent =
  | { kind: 'layer-start'; image: string; digest: string; size: number }
  | { kind: 'layer-bytes'; image: string; digest: string; bytes: number }
  | { kind: 'layer-done'; image: string; digest: string; state: 'pulled' | 'exists' }
  | { kind: 'finish'; image: string };

export interface EngineEventMap {
  /** something the caller should know but that does not stop the operation */
  warning: [message: string];
  /** a line of status a person would want to see ("Unable to find image … locally") */
  status: [message: string];
  progress: [event: PullProgressEvent];
}

/**
 * What the engine has to say while it works. The engine never writes to the
 * terminal itself: the CLI listens and prints, an API caller listens or not.
 */
export class EngineEvents extends EventEmitter<EngineEventMap> {}
