import { run } from '../../process.js';
import type { TarEntryType } from '../../image/tar-reader.js';
import { argChunks } from './batch.js';

/**
 * Extended attributes: which of the archive's are written, reading those of
 * lower layers, and setting them all with one batched setfattr.
 */

export const OPAQUE_XATTR = 'trusted.overlay.opaque';

/** getfattr/setfattr escape path bytes as \ooo; we escape everything that could be mangled. */
function attrQuote(p: string): string {
  let out = '';
  for (const b of Buffer.from(p, 'utf8')) {
    out += b <= 0x20 || b === 0x5c || b === 0x7f ? `\\${b.toString(8).padStart(3, '0')}` : String.fromCharCode(b);
  }
  return out; // latin1: one char per byte
}

export function attrUnquote(latin1: string): string {
  const raw = latin1.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return Buffer.from(raw, 'latin1').toString('utf8');
}

/** All xattrs of each path (not following symlinks), via one getfattr per batch. */
async function readXattrs(paths: readonly string[], matching = '-'): Promise<Map<string, Map<string, Buffer>>> {
  const found = new Map<string, Map<string, Buffer>>();
  for (const chunk of argChunks(paths)) {
    const r = await run('getfattr', ['-h', '-d', '-m', matching, '-e', 'hex', '--absolute-names', '--', ...chunk],
      { encoding: 'buffer', purpose: 'read extended attributes of lower layers' });
    let current: Map<string, Buffer> | undefined;
    for (const line of Buffer.from(r.stdout as Uint8Array).toString('latin1').split('\n')) {
      if (line.startsWith('# file: ')) {
        current = new Map();
        found.set(attrUnquote(line.slice(8)), current);
      } else if (line && current) {
        const eq = line.indexOf('=');
        const name = attrUnquote(eq < 0 ? line : line.slice(0, eq));
        const value = eq < 0 ? '' : line.slice(eq + 1);
        current.set(name, Buffer.from(value.startsWith('0x') ? value.slice(2) : '', 'hex'));
      }
    }
  }
  return found;
}

/** Which archive xattrs are written, by entry type; the rest are dropped and counted. */
export function keepXattr(name: string, type: TarEntryType): boolean {
  if (!/^[\x21-\x7e]{1,255}$/.test(name) || name.includes('=') || name.includes('\\')) return false;
  if (name.startsWith('security.')) return name !== 'security.selinux' && name.length > 9;
  if (name.startsWith('user.')) return name.length > 5 && (type === 'file' || type === 'dir');
  if (name === 'system.posix_acl_access') return type === 'file' || type === 'dir';
  if (name === 'system.posix_acl_default') return type === 'dir';
  return false; // trusted.* (overlayfs honours trusted.overlay.*), system.nfs4_acl, unknown namespaces
}

/** Xattrs waiting for one batched setfattr. */
export class XattrQueue {
  private readonly explicit = new Map<string, Map<string, Buffer>>();
  /** dest path → the lower-layer path whose xattrs it takes */
  private readonly copies = new Map<string, string>();

  set(rel: string, name: string, value: Buffer): void {
    let m = this.explicit.get(rel);
    if (!m) this.explicit.set(rel, m = new Map());
    m.set(name, value);
  }

  copyFrom(lowerAbs: string, rel: string): void { this.copies.set(rel, lowerAbs); }

  cancel(rel: string): void { this.explicit.delete(rel); this.copies.delete(rel); }

  async flush(dest: string): Promise<void> {
    const records = new Map<string, Map<string, Buffer>>();
    if (this.copies.size) {
      const found = await readXattrs([...new Set(this.copies.values())]);
      for (const [rel, from] of this.copies) {
        const attrs = [...found.get(from) ?? []].filter(([n]) => keepXattr(n, 'dir'));
        if (attrs.length) records.set(rel, new Map(attrs));
      }
    }
    for (const [rel, attrs] of this.explicit) records.set(rel, new Map([...records.get(rel) ?? [], ...attrs]));
    this.copies.clear();
    this.explicit.clear();
    if (!records.size) return;
    let text = '';
    for (const [rel, attrs] of records) {
      text += `# file: ${attrQuote(rel || '.')}\n`;
      for (const [n, v] of attrs) text += `${n}=0x${v.toString('hex')}\n`;
      text += '\n';
    }
    await run('setfattr', ['-h', '--restore=-'], { cwd: dest, input: Buffer.from(text, 'latin1'), purpose: 'set extended attributes in the layer' });
  }
}
