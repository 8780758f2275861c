/**
 * Counts of the process's active resources (sockets, timers, …), to prove a client closes what it
 * opened: take `countResources()` before, then `grownSince(before)` after, which is empty when
 * nothing is left.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export function countResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/** Resources active now that were not in `before` (`TCPSocketWrap×2`), after letting closes settle (up to ~1 s). */
export async function grownSince(before: Map<string, number>): Promise<string[]> {
  let grown: string[] = [];
  for (let i = 0; i < 50; i++) {
    grown = [...countResources()].filter(([k, n]) => n > (before.get(k) ?? 0)).map(([k, n]) => `${k}×${n}`);
    if (grown.length === 0) break;
    await sleep(20);
  }
  return grown;
}
