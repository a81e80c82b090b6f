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
