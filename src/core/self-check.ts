/**
 * Is perfbench itself the bottleneck? A Node load generator can be (REFERENCE.md: on 2 cores
 * autocannon reached 9.8k req/s where wrk reached 22.5k), and then the latencies it records include
 * its own queueing. Two signs, each compared with the path's own p50:
 *
 * - event-loop lag: a late loop delays every completion callback, so lag adds to every latency;
 * - harness cost: the no-op path's wall time per operation is what measuring one operation costs.
 *
 * A path is flagged `client-bound` when either exceeds `shareOfP50` (default 10%) of its p50: past
 * that, the client's share is larger than the precision users read into a speed-up.
 */
import type { PathResult } from './result.js';

export interface SelfCheckOptions {
  /** Fraction of a path's p50 above which the client's cost is flagged; default 0.1. */
  shareOfP50?: number;
}

/** One-line warnings, and the `client-bound` flag added to the paths concerned (returns new objects). */
export function checkClientBound(paths: readonly PathResult[], options: SelfCheckOptions = {}): { paths: PathResult[]; warnings: string[] } {
  const share = options.shareOfP50 ?? 0.1;
  const noop = paths.find((p) => p.kind === 'noop' && p.ops > 0);
  const harnessUs = noop ? (noop.elapsedMs * 1000) / noop.ops : 0;
  const warnings: string[] = [];
  const checked = paths.map((p) => {
    if (p.kind === 'noop' || p.ops === 0) return p;
    const limitUs = p.summary.p50Us * share;
    const reasons: string[] = [];
    const lagUs = p.eventLoopLag?.p99Us ?? 0;
    if (lagUs > limitUs) reasons.push(`event-loop lag p99 ${(lagUs / 1000).toFixed(3)} ms`);
    if (harnessUs > limitUs) reasons.push(`harness cost ${harnessUs.toFixed(2)} µs per operation`);
    if (reasons.length === 0) return p;
    warnings.push(`${p.name} (concurrency ${p.concurrency}): the client may be the bottleneck: ${reasons.join(' and ')} exceed ${Math.round(share * 100)}% of p50; use --workers or a lower concurrency`);
    return { ...p, flags: [...new Set([...(p.flags ?? []), 'client-bound'])] };
  });
  return { paths: checked, warnings };
}
