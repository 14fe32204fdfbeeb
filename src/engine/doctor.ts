import { checkHost, overall, type Status, type Verdict } from '../runtime/doctor/index.js';

export type { Status, Verdict };

/**
 * `racker doctor`: every check of this host (kernel, tools, systemd, the
 * store under `root`) and the overall status. `keyrings`: the package
 * keyrings curated images need, and which labels need each.
 */
export async function checkThisHost(root: string, keyrings: readonly { keyring: string; labels: string[] }[] = []): Promise<{ status: Status; verdicts: Verdict[] }> {
  const verdicts = await checkHost(root, keyrings);
  return { status: overall(verdicts), verdicts };
}
