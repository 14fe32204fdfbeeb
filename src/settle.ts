/** Wait for all of `work` to finish, whatever fails; then throw the first failure, if any. */
export async function settleAll(work: (Promise<unknown> | undefined)[]): Promise<void> {
  for (const d of await Promise.allSettled(work)) if (d.status === 'rejected') throw d.reason;
}
