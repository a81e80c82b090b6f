/** Shared: how a run's owner is named in what perfbench says (a lock holder, an index's builder). */
import type { RunOwner } from '../db/runs.js';

/** "bench, pid 4242 on host ci-7, since 2025-06-01 12:03:04 UTC". */
export function describeOwner(owner: Pick<RunOwner, 'command' | 'pid' | 'host' | 'startedAt'>): string {
  return `${owner.command}, pid ${owner.pid} on host ${owner.host}, since ${formatInstant(owner.startedAt)}`;
}

/** To the second, in UTC: the reader may be on another machine than the holder. */
function formatInstant(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
