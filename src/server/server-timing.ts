/** Server layer: the Server-Timing header a report response carries (W3C Server Timing), so a client sees where the server spent its time. */

/** The Server-Timing fields a report response carries, in milliseconds. */
export interface TimingBreakdown {
  /** Waiting for the slow route's dedicated connection (0 on the fast route). */
  queue: number;
  cache: number;
  db: number;
  total: number;
}

/** `queue;dur=0.000, cache;dur=0.312, db;dur=0.000, total;dur=0.401` (W3C Server Timing). */
export function serverTimingHeader(timing: TimingBreakdown): string {
  return `queue;dur=${timing.queue.toFixed(3)}, cache;dur=${timing.cache.toFixed(3)}, db;dur=${timing.db.toFixed(3)}, total;dur=${timing.total.toFixed(3)}`;
}

/** Totals below this many µs have their header kept (one string per µs, made on first use). */
const TOTAL_ONLY_KEPT_US = 1000;
const totalOnlyHeaders: (string | undefined)[] = new Array<string | undefined>(TOTAL_ONLY_KEPT_US).fill(undefined);

/**
 * The header of an answer that spent nothing but its total (a near hit: no queue, no cache round
 * trip, no database). Near hits take well under a millisecond, so their headers are kept per µs:
 * made per answer, the string (toFixed, then a concatenation node:http must flatten to validate
 * it) was about a tenth of what a near hit costs beyond a bare node:http answer.
 */
export function totalOnlyTimingHeader(totalMs: number): string {
  const us = Math.round(totalMs * 1000);
  if (!(us >= 0 && us < TOTAL_ONLY_KEPT_US)) return serverTimingHeader({ queue: 0, cache: 0, db: 0, total: totalMs });
  return (totalOnlyHeaders[us] ??= serverTimingHeader({ queue: 0, cache: 0, db: 0, total: us / 1000 }));
}
