import { mkdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';

/**
 * "This network's bridge and packet rules are set up": one small file per
 * network under the host-wide run directory, so that a container start skips
 * the three commands that would check it (ip link show, nft --version, nft
 * list table). It holds what would change if the bridge were gone or made
 * again: the boot, the network namespace and the bridge's ifindex (a new
 * bridge of the same name gets a new one), read from /proc and /sys without
 * a process. It is trusted for RECHECK_MS; after that the next start checks
 * again, so rules flushed by a firewall reload are put back within a minute.
 * A failed attach removes it (the next start checks everything).
 */

const RECHECK_MS = 60_000;

const file = (runDir: string, networkId: string) => path.join(runDir, 'networks', networkId.slice(0, 64));

/** boot, namespace and the bridge's ifindex now; undefined when the bridge is not there (or /sys is not this namespace's). */
async function identity(bridge: string): Promise<string | undefined> {
  try {
    const [boot, netns, ifindex] = await Promise.all([
      readFile('/proc/sys/kernel/random/boot_id', 'utf8'),
      readlink('/proc/self/ns/net'),
      readFile(`/sys/class/net/${bridge}/ifindex`, 'utf8'),
    ]);
    return `${boot.trim()} ${netns} ${ifindex.trim()}\n`;
  } catch {
    return undefined;
  }
}

/** Is the network known to be up, with nothing to check? */
export async function markedUp(runDir: string, networkId: string, bridge: string): Promise<boolean> {
  const f = file(runDir, networkId);
  const [text, st, now] = await Promise.all([readFile(f, 'utf8').catch(() => ''), stat(f).catch(() => undefined), identity(bridge)]);
  return !!st && !!now && text === now && Date.now() - st.mtimeMs < RECHECK_MS;
}

/** After the network was checked or set up. */
export async function markUp(runDir: string, networkId: string, bridge: string): Promise<void> {
  const now = await identity(bridge);
  if (!now) return; // /sys shows another namespace's links: no marker, every start checks
  await mkdir(path.join(runDir, 'networks'), { recursive: true, mode: 0o700 });
  // a marker cut short by a host crash names another boot: it is checked again, never trusted
  await writeFileAtomic(file(runDir, networkId), now, path.join(runDir, 'networks'), { durable: false });
}

export async function unmarkUp(runDir: string, networkId: string): Promise<void> {
  await rm(file(runDir, networkId), { force: true });
}
