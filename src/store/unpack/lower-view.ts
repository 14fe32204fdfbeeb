import { lstatSync, readdirSync, type Stats } from 'node:fs';
import path from 'node:path';
import { run } from '../../process.js';
import { isWhiteoutDevice } from './whiteouts.js';
import { attrUnquote, OPAQUE_XATTR } from './xattrs.js';

export interface LowerHit { abs: string; stat: Stats }
interface LowerStep { hit: LowerHit | null; dirs: number[] }

/** What the stacked lower layers show at a path, read the way overlayfs reads them. */
export class LowerView {
  private readonly steps = new Map<string, LowerStep>();
  private readonly opaque = new Map<number, Promise<Set<string>>>();

  /** layer directories, topmost first */
  constructor(readonly layers: readonly string[]) {}

  /** The topmost visible entry at `parts`, or null (absent, whited out, or below a non-directory). */
  async lookup(parts: readonly string[]): Promise<LowerHit | null> {
    if (!this.layers.length || !parts.length) return null;
    let candidates = this.layers.map((_, i) => i);
    let rel = '';
    let step: LowerStep | undefined;
    for (let k = 0; k < parts.length; k++) {
      if (k > 0 && !step?.hit?.stat.isDirectory()) return null;
      rel = k ? `${rel}/${parts[k]}` : parts[k];
      step = this.steps.get(rel);
      if (!step) {
        step = await this.descend(candidates, rel);
        this.steps.set(rel, step);
      }
      candidates = step.dirs;
    }
    return step?.hit ?? null;
  }

  private async descend(candidates: readonly number[], rel: string): Promise<LowerStep> {
    let hit: LowerHit | null = null;
    const dirs: number[] = [];
    for (const i of candidates) {
      const abs = path.join(this.layers[i], rel);
      const stat = lstatSync(abs, { throwIfNoEntry: false });
      if (!stat) continue;
      if (isWhiteoutDevice(stat)) break;
      // only directories merge; anything else hides what lies below it
      if (!stat.isDirectory()) { hit ??= { abs, stat }; break; }
      if (dirs.length && await this.isOpaque(dirs[dirs.length - 1], rel)) break;
      hit ??= { abs, stat };
      dirs.push(i);
    }
    return { hit, dirs };
  }

  /** Opaque directories of a layer, read once with a single getfattr walk, only if ever needed. */
  private async isOpaque(layer: number, rel: string): Promise<boolean> {
    let set = this.opaque.get(layer);
    if (!set) {
      const root = this.layers[layer];
      set = run('getfattr', ['-R', '-h', '-d', '-m', '^trusted\\.overlay\\.opaque$', '-e', 'hex', '--absolute-names', '--', root],
        { encoding: 'buffer', purpose: 'read opaque directories of a lower layer' })
        .then(r => {
          const out = new Set<string>();
          let file: string | undefined;
          for (const line of Buffer.from(r.stdout as Uint8Array).toString('latin1').split('\n')) {
            if (line.startsWith('# file: ')) file = attrUnquote(line.slice(8));
            else if (file && line === `${OPAQUE_XATTR}=0x79`) out.add(path.relative(root, file));
          }
          return out;
        });
      this.opaque.set(layer, set);
    }
    return (await set).has(rel);
  }

  /** Every name the lower layers show at the top. */
  async rootNames(): Promise<string[]> {
    const names = new Set(this.layers.flatMap(l => readdirSync(l)));
    const shown: string[] = [];
    for (const n of names) if (await this.lookup([n])) shown.push(n);
    return shown;
  }
}
